/**
 * What the row policies cost Strix's own reads (the API, scans, jobs): the
 * same queries over the same store, in a process whose engine loads the
 * policies (as Strix runs) and in one whose engine has none.
 *
 *   npm run bench:row-policy-cost -w @strix/bench   (BENCH_EVENTS to tune; default 2,000,000)
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Session } from 'chdb';
import { migrate } from '@strix/warehouse';
import { ChdbWarehouse } from '@strix/warehouse/chdb';
import { sqlDir } from '@strix/warehouse';

const events = Number(process.env.BENCH_EVENTS ?? 2_000_000);

const queries: Record<string, string> = {
  'count of a project': "SELECT count() FROM events WHERE project_id = 'p1'",
  'hourly counts, 7 days': "SELECT toStartOfHour(ts) AS h, name, count() FROM events WHERE project_id = 'p1' AND ts > now() - INTERVAL 7 DAY GROUP BY h, name FORMAT Null",
  'newest 100 errors': "SELECT * FROM events WHERE project_id = 'p1' AND level = 'error' ORDER BY ts DESC LIMIT 100 FORMAT Null",
  'funnel_events per person': "SELECT person_id, count() FROM funnel_events WHERE project_id = 'p1' GROUP BY person_id ORDER BY count() DESC LIMIT 10 FORMAT Null",
  'audience, 30 days': "SELECT day, uniqMerge(people) FROM audience_daily WHERE project_id = 'p1' GROUP BY day FORMAT Null",
};

/** Child: times each query (best of 5) on an engine opened with or without Strix's configuration. */
async function measure(dataPath: string, withPolicies: boolean): Promise<void> {
  const session = withPolicies ? (await import('@strix/warehouse/chdb-engine')).openChdbSession(dataPath) : new Session(dataPath);
  const result: Record<string, number> = {};
  for (const [name, sql] of Object.entries(queries)) {
    let best = Infinity;
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      await session.queryAsync(sql, { format: 'Null' });
      best = Math.min(best, performance.now() - started);
    }
    result[name] = best;
  }
  session.close();
  console.log(JSON.stringify(result));
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'strix-bench-policy-'));
  const dataPath = join(dir, 'chdb');
  try {
    const wh = new ChdbWarehouse(dataPath);
    await migrate(wh, sqlDir);
    await wh.command(`INSERT INTO events (project_id, app_id, event_id, ts, received_at, name, level, message, session_id, user_id, kind)
      SELECT if(number % 4 = 0, 'p2', 'p1'), 'a', toString(number), now64(3) - toIntervalSecond(number % 2592000), now64(3),
             concat('e', toString(number % 20)), if(number % 50 = 0, 'error', 'info'), 'm', concat('s', toString(number % 100000)),
             concat('u', toString(number % 200000)), 'track'
      FROM numbers(${events})`);
    await wh.close();
    const run = (withPolicies: boolean) => {
      const child = spawnSync(process.execPath, ['--import', 'tsx', import.meta.filename, 'child', dataPath, String(withPolicies)], { encoding: 'utf8' });
      if (child.status !== 0) throw new Error(child.stderr);
      return JSON.parse(child.stdout.trim().split('\n').pop() ?? '{}') as Record<string, number>;
    };
    // Alternated, best of both rounds: neither side gets the colder page cache.
    const best = (a: Record<string, number>, b: Record<string, number>) => Object.fromEntries(Object.keys(queries).map((q) => [q, Math.min(a[q] ?? Infinity, b[q] ?? Infinity)]));
    const first = [run(false), run(true)];
    const second = [run(false), run(true)];
    const without = best(first[0] ?? {}, second[0] ?? {});
    const withPolicies = best(first[1] ?? {}, second[1] ?? {});
    console.log(`${events} events (3/4 in project p1); best of 2×5, ms, without policies → with`);
    for (const name of Object.keys(queries)) {
      const a = without[name] ?? NaN;
      const b = withPolicies[name] ?? NaN;
      console.log(`  ${name.padEnd(28)} ${a.toFixed(1).padStart(8)} → ${b.toFixed(1).padStart(8)}  (${(b / a).toFixed(2)}×)`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'child') await measure(process.argv[3] ?? '', process.argv[4] === 'true');
else await main();
