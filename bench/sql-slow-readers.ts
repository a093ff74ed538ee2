/**
 * What slow readers of large analyst results cost the server: memory while
 * clients that read a few KiB a second hold queries open, the bytes each one
 * got, and how fast another key's query answers meanwhile.
 *
 *   npm run bench:sql-slow-readers -w @strix/bench   (BENCH_READERS, BENCH_SECONDS to tune)
 *
 * Strix runs as its own process; each reader asks for an answer far larger
 * than the output limit and reads it at 16 KiB/s, like a client on a bad link.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { kill, spawnStrix } from '@strix/testkit/process';

const readers = Number(process.env.BENCH_READERS ?? 3);
const seconds = Number(process.env.BENCH_SECONDS ?? 20);

async function rss(pid: number): Promise<{ now: number; peak: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
  return { now: kb('VmRSS'), peak: kb('VmHWM') };
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

/** Reads the answer at `bytesPerSecond` until `deadline`; resolves with the bytes it got. */
function slowReader(url: string, key: string, sql: string, bytesPerSecond: number, deadline: number): Promise<number> {
  return new Promise((resolve) => {
    let got = 0;
    const req = request(`${url}/clickhouse/?default_format=TSV&query=${encodeURIComponent(sql)}`, { headers: { 'x-clickhouse-user': 'bench', 'x-clickhouse-key': key } }, (res) => {
      res.pause();
      const tick = setInterval(() => {
        if (Date.now() > deadline) {
          clearInterval(tick);
          req.destroy();
          resolve(got);
          return;
        }
        let budget = bytesPerSecond / 10;
        let chunk: Buffer | null;
        while (budget > 0 && (chunk = res.read(Math.min(budget, 16 * 1024)) as Buffer | null)) {
          got += chunk.length;
          budget -= chunk.length;
        }
      }, 100);
      res.on('end', () => {
        clearInterval(tick);
        resolve(got);
      });
    });
    req.on('error', () => resolve(got));
    req.end();
  });
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'strix-bench-sql-'));
  const server = await spawnStrix({ STRIX_DATA_DIR: dir, STRIX_SQL_MAX_CONCURRENT_PER_KEY: String(readers + 1), STRIX_SQL_MAX_CONCURRENT: String(readers + 1) });
  const { agentKey } = JSON.parse(await readFile(join(dir, 'credentials.json'), 'utf8')) as { agentKey: string };
  const pid = server.child.pid!;
  try {
    const before = await rss(pid);
    console.log(`server RSS before: ${mib(before.now)}`);
    const deadline = Date.now() + seconds * 1000;
    const big = 'SELECT number, toString(number), repeat(\'x\', 100) FROM numbers(100000000000)';
    const pending = Array.from({ length: readers }, () => slowReader(server.url, agentKey, big, 16 * 1024, deadline));
    let peakDuring = before.now;
    const quick: number[] = [];
    while (Date.now() < deadline) {
      await sleep(1000);
      peakDuring = Math.max(peakDuring, (await rss(pid)).now);
      const started = performance.now();
      const res = await fetch(`${server.url}/clickhouse/?query=${encodeURIComponent('SELECT count() FROM events')}`, { headers: { 'x-clickhouse-user': 'q', 'x-clickhouse-key': agentKey } });
      await res.text();
      quick.push(performance.now() - started);
    }
    const got = await Promise.all(pending);
    await sleep(2000);
    const after = await rss(pid);
    quick.sort((a, b) => a - b);
    console.log(`readers: ${readers} at 16 KiB/s for ${seconds} s; bytes each got: ${got.map((g) => `${(g / 1024).toFixed(0)} KiB`).join(', ')}`);
    console.log(`server RSS during: max ${mib(peakDuring)} (VmHWM ${mib(after.peak)}); 2 s after the readers left: ${mib(after.now)}`);
    console.log(`a small query meanwhile: median ${quick[Math.floor(quick.length / 2)]?.toFixed(0)} ms, max ${quick[quick.length - 1]?.toFixed(0)} ms`);
  } finally {
    await kill(server, 'SIGTERM');
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
