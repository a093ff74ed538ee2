/**
 * The API calls behind each dashboard page, timed over HTTP on a month of a busy app's events.
 *
 *   npm run bench:dashboards -w @strix/bench
 *     BENCH_EVENTS (10,000,000)   events seeded: 90% activity (track, logs, 2% errors), 10% metric points
 *     BENCH_PEOPLE (1,000,000)    people they belong to (a tenth of the events if fewer), 30% anonymous
 *     BENCH_RUNS (20)             timed runs per call, and per page load, after one warm-up
 *     BENCH_RANGE_DAYS (30)       the range the pages ask for (the dashboard's own default is 7)
 *     BENCH_KEEP_DATA             set to keep the data directory (its path is printed), to study a slow read
 *
 * Embedded Strix runs as its own process. Its first start makes the project (a second app is
 * added); while it is stopped, this process writes the events (dashboard-seed.ts) straight into its chDB store,
 * where every materialized view fills its rollup, and waits for merges. The restarted server
 * scans issues (`POST /v1/issues/scan`, agent key) and a funnel is saved. Each call is then
 * sent as the dashboard sends it (dashboards/app/pages/*.tsx): the owner's session cookie,
 * the project header, the same query strings, production data, one call at a time. p50 and
 * p95 are nearest-rank; "bytes" is the decoded body. Reads of the last minutes (live view, live
 * tail) are preceded by a burst of live events through the edge (`liveBurst`). A page load is
 * `/v1/me`, then the page's calls in the groups the page fires them (a group in parallel).
 * Other work on the machine shows in every figure; the load average says how much.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Warehouse } from '@strix/contracts';
import { kill, spawnStrix } from '@strix/testkit/process';
import { ChdbWarehouse } from '@strix/warehouse/chdb';
import { seedEvents } from './dashboard-seed.ts';
import { logLag } from './http-load.ts';

const events = Number(process.env.BENCH_EVENTS ?? 10_000_000);
const people = Number(process.env.BENCH_PEOPLE ?? Math.min(1_000_000, Math.ceil(events / 10)));
const runs = Number(process.env.BENCH_RUNS ?? 20);
const rangeDays = Number(process.env.BENCH_RANGE_DAYS ?? 30);
const keepData = Boolean(process.env.BENCH_KEEP_DATA);
const targetMs = 300;
const dayMs = 86_400_000;
const thousands = (n: number) => Math.round(n).toLocaleString('en-US');
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Background merges compete for the two cores: the server starts on settled parts, as a running install has them. */
async function settle(wh: Warehouse): Promise<void> {
  const start = performance.now();
  while (performance.now() - start < 600_000) {
    const [{ n } = { n: '0' }] = await wh.query<{ n: string }>('SELECT count() AS n FROM system.merges');
    if (Number(n) === 0) break;
    await sleep(500);
  }
  const tables = await wh.query<{ table: string; stored: string; parts: string }>(
    `SELECT table, sum(rows) AS stored, count() AS parts FROM system.parts WHERE active AND database = currentDatabase()
     GROUP BY table HAVING stored > 0 ORDER BY stored DESC LIMIT 12`,
  );
  console.log(`merges settled in ${seconds(performance.now() - start)}: ${tables.map((t) => `${t.table} ${thousands(Number(t.stored))} rows/${t.parts} parts`).join(', ')}`);
}

interface Auth {
  cookie: string;
  csrf: string;
  project: string;
}

/** One request as the dashboard's `api()` makes it (or with the agent key); the answer's JSON, time and size. */
async function call(base: string, auth: Auth | string, path: string, method = 'GET', body?: unknown, withProject = true) {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (typeof auth === 'string') headers.authorization = `Bearer ${auth}`;
  else {
    headers.cookie = auth.cookie;
    if (withProject) headers['x-strix-project'] = auth.project;
    if (method !== 'GET') headers['x-strix-csrf'] = auth.csrf;
  }
  if (body !== undefined) headers['content-type'] = 'application/json';
  const start = performance.now();
  const res = await fetch(new URL(path, base), { method, headers, ...(body !== undefined && { body: JSON.stringify(body) }) });
  const bytes = Buffer.from(await res.arrayBuffer());
  const ms = performance.now() - start;
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${bytes.toString().slice(0, 300)}`);
  return { ms, bytes: bytes.length, json: <T>() => JSON.parse(bytes.toString()) as T };
}

/** Signs in with the first start's owner link, as the owner does on a fresh install. */
async function signIn(base: string, signInUrl: string, project: string): Promise<Auth & { teamId: string }> {
  const res = await fetch(new URL(new URL(signInUrl).pathname, base), { headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`owner link: ${res.status} ${await res.text()}`);
  const cookies = new Map(res.headers.getSetCookie().map((c) => c.split(';')[0]!.split('=') as [string, string]));
  const { teams } = (await res.json()) as { teams: { id: string }[] };
  const csrf = cookies.get('strix_csrf')!;
  return { cookie: `strix_session=${cookies.get('strix_session')}; strix_csrf=${csrf}`, csrf, project, teamId: teams[0]!.id };
}

interface Call {
  page: string;
  label: string;
  /** Its group in the page load (the groups run one after another, a group's calls at once); none: not part of the load. */
  group?: number;
  send: () => ReturnType<typeof call>;
  /** Reads only the last minutes: people are made active just before it is timed. */
  live?: boolean;
}

interface Picks {
  issueId: string;
  appId: string;
  funnelId: string;
  userId: string;
  metric: string;
  teamId: string;
}

/** Every call the pages make on opening, with their query strings (dashboards/app/pages/*.tsx). */
function dashboardCalls(base: string, auth: Auth, p: Picks): Call[] {
  const range = (extra: Record<string, string> = {}, toAhead = 0) => {
    const now = Date.now();
    return new URLSearchParams({ from: new Date(now - rangeDays * dayMs).toISOString(), to: new Date(now + toAhead).toISOString(), data_mode: 'production', ...extra });
  };
  const get = (path: () => string, withProject = true) => () => call(base, auth, path(), 'GET', undefined, withProject);
  const project = `/v1/projects/${auth.project}`;
  const steps = ['app_open', 'view_product', 'add_to_cart', 'checkout', 'purchase'].map((event) => ({ event }));
  const funnel = { steps, mode: 'closed', window_seconds: 86_400, strict_order: false, exclusions: [], by: 'user' };
  const runFunnel = (path: string, extra: object) => () => {
    const now = Date.now();
    return call(base, auth, path, 'POST', { ...funnel, from: now - rangeDays * dayMs, to: now, data_mode: 'production', ...extra });
  };
  const events = (extra: Record<string, string>) => `/v1/events?${new URLSearchParams({ data_mode: 'production', limit: '50', ...Object.fromEntries(range({}, 60_000)), ...extra })}`;
  const me: Call = { page: 'every page', label: 'GET /v1/me', group: 0, send: get(() => '/v1/me', false) };
  return [
    me,
    { page: 'issues', label: 'GET /v1/issues (open, last seen, 50)', group: 1, send: get(() => `/v1/issues?sort=last_seen&data_mode=production&limit=50&offset=0&status=new%2Cin_progress%2Cregressed`) },
    { page: 'issues', label: 'GET /v1/projects/:id/apps (app filter)', group: 1, send: get(() => `${project}/apps`, false) },
    { page: 'issue', label: 'GET /v1/issues/:id?occurrences=20', group: 1, send: get(() => `/v1/issues/${p.issueId}?occurrences=20`) },
    { page: 'issue', label: 'GET /v1/issues (merge candidates, app)', group: 2, send: get(() => `/v1/issues?app_id=${p.appId}&data_mode=production&status=new%2Cin_progress%2Cregressed%2Csilenced&limit=50`) },
    { page: 'funnel', label: 'GET /v1/funnels?limit=100', group: 1, send: get(() => '/v1/funnels?limit=100') },
    { page: 'funnel', label: 'GET /v1/funnels/:id', group: 1, send: get(() => `/v1/funnels/${p.funnelId}`) },
    { page: 'funnel', label: 'GET /v1/events/names (autocomplete)', group: 1, send: get(() => `/v1/events/names?${range()}&limit=50`) },
    { page: 'funnel', label: '  typing "chec"', send: get(() => `/v1/events/names?${range()}&limit=50&q=chec`) },
    { page: 'funnel', label: 'POST /v1/funnels/query (5 steps, 1 day)', group: 2, send: runFunnel('/v1/funnels/query', {}) },
    { page: 'funnel', label: 'POST /v1/funnels/trend (by day)', group: 2, send: runFunnel('/v1/funnels/trend', { interval: 'day' }) },
    { page: 'funnel', label: '  query + breakdown by experiment', send: runFunnel('/v1/funnels/query', { breakdown: { experiment: 'checkout_flow' } }) },
    { page: 'audience', label: 'GET /v1/audience/active', group: 1, send: get(() => `/v1/audience/active?${range()}`) },
    { page: 'audience', label: 'GET /v1/audience/screens?limit=20', group: 1, send: get(() => `/v1/audience/screens?${range()}&limit=20`) },
    { page: 'audience', label: 'GET /v1/audience/live (every 3 s)', group: 1, send: get(() => '/v1/audience/live?data_mode=production'), live: true },
    { page: 'performance', label: 'GET /v1/metrics', group: 1, send: get(() => `/v1/metrics?${range()}`) },
    { page: 'metric', label: 'GET /v1/metrics/:name?interval=hour', group: 1, send: get(() => `/v1/metrics/${p.metric}?${range({ interval: 'hour' })}`) },
    { page: 'events', label: 'GET /v1/events (50)', group: 1, send: get(() => events({})) },
    { page: 'events', label: '  live tail poll (every 3 s)', send: get(() => events({ from: new Date(Date.now() - 60_000).toISOString() })), live: true },
    { page: 'user', label: 'GET /v1/users/:id', group: 1, send: get(() => `/v1/users/${p.userId}`) },
    { page: 'user', label: 'GET /v1/events?user_id= (50)', group: 1, send: get(() => events({ user_id: p.userId })) },
    { page: 'settings', label: 'GET /v1/projects/:id', group: 1, send: get(() => project, false) },
    { page: 'settings', label: 'GET /v1/projects/:id/apps', group: 2, send: get(() => `${project}/apps`, false) },
    { page: 'settings/keys', label: 'GET /v1/projects/:id/keys', group: 1, send: get(() => `${project}/keys`, false) },
    { page: 'settings/keys', label: 'GET /v1/projects/:id/apps', group: 2, send: get(() => `${project}/apps`, false) },
    { page: 'settings/members', label: 'GET /v1/teams/:id/members?limit=200', group: 1, send: get(() => `/v1/teams/${p.teamId}/members?limit=200`, false) },
    { page: 'settings/members', label: 'GET /v1/teams/:id/invitations', group: 2, send: get(() => `/v1/teams/${p.teamId}/invitations`, false) },
    { page: 'settings/audit', label: 'GET /v1/audit-log (50)', group: 1, send: get(() => `/v1/audit-log?team_id=${p.teamId}&project_id=${auth.project}&limit=50`, false) },
  ];
}

/** Nearest rank: with 20 runs, p95 is the 19th fastest. */
const rank = (sorted: number[], p: number) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;

async function timed(run: () => Promise<number>): Promise<number[]> {
  await run();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(await run());
  return times.sort((a, b) => a - b);
}

const row = (cells: (string | number)[], widths: number[]) => cells.map((c, i) => (i < 2 ? String(c).padEnd(widths[i]!) : String(c).padStart(widths[i]!))).join(' ');

async function timeCalls(calls: Call[], makeLive: () => Promise<void>): Promise<string[]> {
  const over: string[] = [];
  const widths = [17, 42, 8, 8, 8, 10, 6];
  console.log(`\n${runs} runs per call after a warm-up, one at a time, range ${rangeDays} days, production data (load average ${loadavg()[0]!.toFixed(2)})`);
  console.log(row(['page', 'call', 'p50 ms', 'p95 ms', 'max ms', 'bytes', ''], widths));
  for (const c of calls) {
    if (c.live) await makeLive();
    let bytes = 0;
    const t = await timed(async () => {
      const answer = await c.send();
      bytes = answer.bytes;
      return answer.ms;
    });
    const p95 = rank(t, 95);
    if (p95 > targetMs) over.push(`${c.page}: ${c.label} (p95 ${p95.toFixed(0)} ms)`);
    console.log(row([c.page, c.label, rank(t, 50).toFixed(0), p95.toFixed(0), t.at(-1)!.toFixed(0), thousands(bytes), p95 > targetMs ? '> 300' : ''], widths));
  }
  return over;
}

/** Each page opened as a browser opens it: `/v1/me`, then its groups in turn, each group's calls at once. */
async function timePages(calls: Call[], makeLive: () => Promise<void>): Promise<void> {
  const widths = [17, 42, 8, 8, 8];
  console.log(`\npage loads (/v1/me, then the page's calls as it fires them), ${runs} runs after a warm-up (load average ${loadavg()[0]!.toFixed(2)})`);
  console.log(row(['page', 'requests', 'p50 ms', 'p95 ms', 'max ms'], widths));
  for (const page of [...new Set(calls.filter((c) => c.group === 1).map((c) => c.page))]) {
    const groups = [0, 1, 2].map((g) => calls.filter((c) => c.group === g && (g === 0 || c.page === page)));
    if (groups.flat().some((c) => c.live)) await makeLive();
    const t = await timed(async () => {
      const start = performance.now();
      for (const group of groups) await Promise.all(group.map((c) => c.send()));
      return performance.now() - start;
    });
    const shape = groups.filter((g) => g.length > 0).map((g) => g.length).join(' → ');
    console.log(row([page, shape, rank(t, 50).toFixed(0), rank(t, 95).toFixed(0), t.at(-1)!.toFixed(0)], widths));
  }
}

/**
 * People active now: the seeded events ended minutes ago (seeding takes that long), so before a
 * call that reads the last minutes, 200 people send 5 events each through the edge, as a live app
 * does; timing starts once the processors have stored them (no insert runs during a timing).
 */
async function liveBurst(base: string, clientKey: string): Promise<void> {
  const at = Date.now();
  const batch = Array.from({ length: 1000 }, (_, i) => ({
    message: 'screen shown', name: '$screen', screen_name: ['Home', 'Feed', 'Product', 'Cart'][i % 4], session_id: `live-${i % 200}`,
    user_id: i % 200 < 140 ? `u-live-${i % 200}` : undefined, os_version: '17.4', app_version: '2.4.1', country: ['US', 'DE', 'BR'][i % 3], timestamp: at - (i % 5) * 1000,
  }));
  // Batches of 100, the most one request may carry.
  for (let i = 0; i < batch.length; i += 100) {
    const body = JSON.stringify({ events: batch.slice(i, i + 100) });
    const res = await fetch(new URL('/v1/ingest', base), { method: 'POST', headers: { authorization: `Bearer ${clientKey}`, 'content-type': 'application/json' }, body });
    if (!res.ok) throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
  }
  while ((await logLag(base)) !== 0) await sleep(50);
}

/** A real issue, user, metric and saved funnel for the detail pages. */
async function pick(base: string, auth: Auth, agentKey: string, teamId: string): Promise<Picks> {
  const { issues } = (await call(base, auth, '/v1/issues?data_mode=production&limit=1&sort=users')).json<{ issues: { id: string; app_id: string }[] }>();
  // A user of production data (every identified person's first event set properties).
  const recent = (await call(base, auth, '/v1/events?data_mode=production&limit=100')).json<{ events: { user_id: string }[] }>();
  const users = recent.events.filter((e) => e.user_id !== '');
  const { metrics } = (await call(base, auth, `/v1/metrics?data_mode=production&from=${Date.now() - rangeDays * dayMs}`)).json<{ metrics: { name: string }[] }>();
  const steps = ['app_open', 'view_product', 'add_to_cart', 'checkout', 'purchase'].map((event) => ({ event }));
  const saved = await call(base, agentKey, '/v1/funnels', 'POST', { name: 'Checkout', steps, window_seconds: 86_400 });
  const { funnel } = saved.json<{ funnel: { id: string } }>();
  if (!issues[0] || !users[0] || !metrics[0]) throw new Error('the seeded data has no issue, identified user or metric');
  const metric = metrics.find((m) => m.name === 'api.request')?.name ?? metrics[0].name;
  return { issueId: issues[0].id, appId: issues[0].app_id, funnelId: funnel.id, userId: users[0].user_id, metric, teamId };
}

/** What the pages will show, so a fast answer is known not to be an empty one. */
async function describe(base: string, auth: Auth, p: Picks): Promise<void> {
  const now = Date.now();
  const range = `from=${now - rangeDays * dayMs}&to=${now}&data_mode=production`;
  const issues = (await call(base, auth, '/v1/issues?data_mode=production&limit=1')).json<{ total: number }>();
  const steps = ['app_open', 'view_product', 'add_to_cart', 'checkout', 'purchase'].map((event) => ({ event }));
  const body = { steps, window_seconds: 86_400, from: now - rangeDays * dayMs, to: now, data_mode: 'production' };
  const funnel = (await call(base, auth, '/v1/funnels/query', 'POST', body)).json<{ groups: { steps: { count: number }[] }[] }>();
  const live = (await call(base, auth, '/v1/audience/live?data_mode=production')).json<{ people: number }>();
  const metrics = (await call(base, auth, `/v1/metrics?${range}`)).json<{ metrics: unknown[] }>();
  const names = (await call(base, auth, `/v1/events/names?${range}&limit=1000`)).json<{ names: unknown[] }>();
  console.log(
    `data: ${issues.total} open issues; funnel ${funnel.groups[0]!.steps.map((s) => thousands(s.count)).join(' → ')}; ${live.people} people live; ` +
      `${metrics.metrics.length} metrics; ${names.names.length === 1000 ? '1,000+' : names.names.length} event names; ` +
      `issue ${p.issueId}, user ${p.userId}, metric ${p.metric}`,
  );
}

async function main(): Promise<void> {
  console.log(`${availableParallelism()} cores; ${thousands(events)} events of ${thousands(people)} people over ${rangeDays} days`);
  const dir = await mkdtemp(join(tmpdir(), 'strix-bench-dashboards-'));
  // Only the scan this benchmark triggers may run: no scheduled slot comes due for years.
  const env = { STRIX_DATA_DIR: dir, STRIX_ISSUE_SCAN_INTERVAL_SECONDS: String(10 * 365 * 86_400) };
  try {
    const first = await spawnStrix(env);
    const credentials = JSON.parse(await readFile(join(dir, 'credentials.json'), 'utf8')) as { projectId: string; appId: string; clientKey: string; agentKey: string; signInUrl: string };
    // The session lives in the control plane: it outlasts the restart, as a browser's does.
    const session = await signIn(first.url, credentials.signInUrl, credentials.projectId);
    const ios = (await call(first.url, session, `/v1/projects/${credentials.projectId}/apps`, 'POST', { name: 'Shop iOS', platform: 'apple', bundle_id: 'com.example.shop' }, false)).json<{ id: string }>();
    await kill(first, 'SIGTERM');

    const wh = new ChdbWarehouse(join(dir, 'chdb'));
    try {
      const ms = await seedEvents(wh, credentials.projectId, [credentials.appId, ios.id], { events, people, rangeDays });
      console.log(`seeded ${thousands(events)} events into events in ${seconds(ms)} (${thousands(events / (ms / 1000))} rows/s, every view on)`);
      await settle(wh);
    } finally {
      await wh.close();
    }

    const server = await spawnStrix(env);
    try {
      const scan = await call(server.url, credentials.agentKey, '/v1/issues/scan', 'POST');
      const summary = scan.json<{ errors: number; created: unknown[] }>();
      console.log(`issue scan (POST /v1/issues/scan): ${seconds(scan.ms)}, ${thousands(summary.errors)} errors, ${summary.created.length} issues`);
      const picks = await pick(server.url, session, credentials.agentKey, session.teamId);
      const makeLive = () => liveBurst(server.url, credentials.clientKey);
      await makeLive();
      await describe(server.url, session, picks);
      // The start-up jobs (metric-abandon, retention sweep) and the scan's writes settle first.
      await sleep(10_000);
      const calls = dashboardCalls(server.url, session, picks);
      const over = await timeCalls(calls, makeLive);
      await timePages(calls, makeLive);
      console.log(over.length === 0 ? `\nevery call answers within ${targetMs} ms at p95` : `\nover ${targetMs} ms at p95:\n  ${over.join('\n  ')}`);
    } finally {
      await kill(server, 'SIGTERM');
    }
  } finally {
    if (keepData) console.log(`data kept in ${dir}`);
    else await rm(dir, { recursive: true, force: true });
  }
}

await main();
