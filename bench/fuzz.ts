/**
 * bench:fuzz — the endpoint fuzz suite at 100,000 cases per endpoint (every
 * route but /clickhouse, found from the app): prints cases, elapsed time and
 * statuses per endpoint, and every failure with the seed that reproduces it.
 *
 *   STRIX_FUZZ_CASES=100000 STRIX_FUZZ_SEED=1 npm run bench:fuzz -w @strix/bench
 *   STRIX_FUZZ_ONLY=/v1/funnels   only the endpoints whose path contains this
 */
import { fuzzEndpoint, startFuzzApp } from '@strix/test/fuzz';

const cases = Number(process.env.STRIX_FUZZ_CASES ?? 100_000);
const seed = Number(process.env.STRIX_FUZZ_SEED ?? Date.now() % 1_000_000);
const only = process.env.STRIX_FUZZ_ONLY;

const fuzz = await startFuzzApp();
const routes = fuzz.routes.filter((r) => !only || r.url.includes(only));
console.log(`fuzzing ${routes.length} endpoints, ${cases.toLocaleString('en-US')} cases each, seed ${seed}`);
const started = performance.now();
let failures = 0;
for (const route of routes) {
  const r = await fuzzEndpoint(fuzz, route, { cases, seed });
  failures += r.failures;
  const statuses = Object.entries(r.statuses).map(([s, n]) => `${s}:${n}`).join(' ');
  console.log(`${r.endpoint.padEnd(44)} ${r.cases.toLocaleString('en-US').padStart(8)} cases ${(r.ms / 1000).toFixed(1).padStart(7)} s ${((r.ms / r.cases) * 1000).toFixed(0).padStart(6)} µs/case  ${statuses}${r.failures ? `  FAILURES ${r.failures}` : ''}`);
  for (const example of r.examples) console.log(`    ${example}`);
}
const { ran, reused, failed } = fuzz.warehouse.counts;
console.log(`total ${((performance.now() - started) / 1000).toFixed(1)} s; warehouse calls run ${ran}, answered from an input class already run ${reused}, failed ${failed}; ${failures} failures`);
await fuzz.close();
process.exitCode = failures > 0 ? 1 : 0;
