/**
 * What `@strix/sdk` costs its host: the time a call takes on the caller's thread in Node (the
 * call only validates, cuts to the server's limits and pushes to a ring buffer; sending happens
 * later, off the call), and the size of the browser build an app ships (esbuild, minified, gzipped).
 *
 *   node --import tsx bench/sdk.ts        (BENCH_CALLS, default 200000 per measurement)
 */
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { init, type StrixClient } from '@strix/sdk';
import { closedPortUrl } from '@strix/testkit/closed-port';

const calls = Number(process.env.BENCH_CALLS ?? 200_000);
const rounds = 5;


/** Median µs per call over `rounds` rounds of `calls` calls (after one warm-up round). */
function perCall(body: (i: number) => void, n = calls): number {
  const results: number[] = [];
  for (let round = 0; round <= rounds; round++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < n; i++) body(i);
    const us = Number(process.hrtime.bigint() - started) / 1000 / n;
    if (round > 0) results.push(us);
  }
  results.sort((a, b) => a - b);
  return results[Math.floor(results.length / 2)]!;
}

const client: StrixClient = init({ key: 'strix_client_bench', endpoint: await closedPortUrl(), app_version: '1.0.0', environment: 'production', user_id: 'user-42' });
client.getVariant('checkout', ['control', 'one_page']);
const error = new TypeError("Cannot read properties of undefined (reading 'items')");

const figures: [string, number][] = [
  ['track(name)', perCall(() => client.track('screen.viewed'))],
  ['track(name, 5 props)', perCall((i) => client.track('cart.add', { props: { sku: 'A-123', qty: i & 7, price: 9.99, gift: false, source: 'list' } }))],
  ['recordMetric(name, value, tags)', perCall((i) => client.recordMetric('db.query.duration_ms', i & 255, { unit: 'ms', tags: { table: 'users' } }))],
  ['info(message, attributes)', perCall(() => client.info('cache refreshed', { attributes: { entries: 120 } }))],
  ['startMetric → complete', perCall(() => client.startMetric('image.upload').complete())],
  ['captureException(error) (stack parsed)', perCall(() => client.captureException(error), calls / 20)],
];
for (const [what, us] of figures) console.log(`${what.padEnd(40)} ${us.toFixed(2)} µs a call (median of ${rounds} rounds)`);
const stats = client.stats();
console.log(`(buffers stayed bounded: ${JSON.stringify(stats.pending)} pending, ${stats.dropped.toLocaleString('en-US')} evicted)`);
await client.shutdown();

const bundle = await build({
  entryPoints: [join(import.meta.dirname, '../sdk/browser.ts')],
  bundle: true,
  minify: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2020',
  write: false,
});
const code = bundle.outputFiles[0]!.contents;
console.log(`browser build (esbuild, minified, ESM): ${(code.length / 1024).toFixed(1)} KiB, ${(gzipSync(code, { level: 9 }).length / 1024).toFixed(1)} KiB gzipped`);
