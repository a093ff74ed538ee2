// Runs every `*.test.ts` below a folder with Node's test runner (Node 20 has no --test globs).
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const [root = '.', ...pattern] = process.argv.slice(2);
const only = pattern[0] ? new RegExp(pattern[0]) : undefined;

function collect(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) return [];
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return collect(path);
    return entry.name.endsWith('.test.ts') && (!only || only.test(path)) ? [path] : [];
  });
}

const files = collect(root).sort();
if (files.length === 0) {
  console.log(`no test files under ${root}`);
  process.exit(0);
}
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
