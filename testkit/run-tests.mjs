// Runs `*.test.ts` files below a folder with Node's test runner (Node 20 has no --test globs).
//
//   node run-tests.mjs <folder>            every suite that needs no external engine
//   node run-tests.mjs <folder> --engines  only the suites that start an external engine (`*.engine.test.ts`)
//
// Suites on external engines (Kafka, Temporal, PostgreSQL) are named `*.engine.test.ts`, so the fast
// suites run (and fail) first and the engine suites last, one workspace at a time.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const ENGINE_SUITE = /\.engine\.test\.ts$/;

const [root = '.', ...flags] = process.argv.slice(2);
const engines = flags.includes('--engines');

function collect(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) return [];
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return collect(path);
    return entry.name.endsWith('.test.ts') && ENGINE_SUITE.test(entry.name) === engines ? [path] : [];
  });
}

const files = collect(root).sort();
if (files.length === 0) {
  console.log(`no ${engines ? 'engine ' : ''}test files under ${root}`);
  process.exit(0);
}
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
