/** The `strix` command (bin/strix.mjs loads this file). */
import { commands, groupSummaries } from './commands/index.ts';
import { runCli } from './run.ts';

// A reader that stops early (`strix events list | head`) is not a failure.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

process.exitCode = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env }, { commands, groups: groupSummaries });
