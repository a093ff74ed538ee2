process.stdout.write('strix: not built yet\n');
