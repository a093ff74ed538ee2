/**
 * Tenant isolation: two teams on one Strix (the edge, the read and management
 * API, and /clickhouse over a real chDB store and a PGlite control plane), and
 * every route × every kind of caller. The route list is complete by
 * construction: a route the app serves without an entry in isolation-routes.ts
 * fails this suite.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { createAnalytics } from '@strix/analytics';
import { apiRoutes } from '@strix/api';
import { allowedPermissions, defaultPermissions, type Role } from '@strix/contracts';
import type { ControlPlane } from '@strix/control';
import { edgeRoutes } from '@strix/edge';
import { KeyRegistry, StrixMetrics, buildHttpApp, csrfHeader, projectHeader } from '@strix/http';
import { IssueService } from '@strix/issues';
import { DeadLetters } from '@strix/processors/dead-letters';
import { mountSqlGateway } from '@strix/sql-gateway';
import { analystReadableTables } from '@strix/warehouse/chdb-engine';
import { openTestControl } from '@strix/testkit/control';
import { openStore } from '@strix/testkit/stores';
import { protectedCases, publicCases } from './isolation-routes.ts';
import { expected, type Cred, type Expect, type Ids, type Method, type Req, type RouteCase, type Team } from './isolation-rules.ts';
import { seedTeam, type TeamWorld } from './isolation-world.ts';
import { RecordingLog } from '@strix/testkit/recording-log';
import { EmbeddedScheduler, createActivities, jobSpecs } from '@strix/workflows';
import { DirectoryBlobStore } from '@strix/blobs';

interface Caller {
  name: string;
  cred: Cred;
}

type KeyCred = Extract<Cred, { kind: 'key' }>;
const keyCred = (team: Team, type: KeyCred['type'], permissions: readonly string[], state: KeyCred['state'] = 'live'): KeyCred => ({ kind: 'key', team, type, permissions, state });
const sessionCred = (team: Team, role: Role, extra: Partial<Extract<Cred, { kind: 'session' }>> = {}): Cred => ({ kind: 'session', team, role, state: 'live', csrf: true, project: team, ...extra });
const every = allowedPermissions.agent;

const callers: Caller[] = [
  { name: 'no credentials', cred: { kind: 'none' } },
  { name: 'malformed Authorization', cred: { kind: 'header', header: 'Bearer not a key' } },
  { name: 'a key Strix never issued', cred: { kind: 'header', header: `Bearer strix_agent_${randomBytes(24).toString('hex')}` } },
  { name: 'a forged session cookie', cred: sessionCred('A', 'owner', { state: 'forged' }) },
  { name: 'A client key', cred: keyCred('A', 'client', defaultPermissions.client) },
  { name: 'A import key', cred: keyCred('A', 'import', defaultPermissions.import) },
  { name: 'A agent key with an unrelated permission', cred: keyCred('A', 'agent', ['integrations:read']) },
  { name: 'A agent key with default permissions', cred: keyCred('A', 'agent', defaultPermissions.agent) },
  { name: 'A agent key with every permission', cred: keyCred('A', 'agent', every) },
  { name: 'A agent key, revoked', cred: keyCred('A', 'agent', every, 'revoked') },
  { name: 'A agent key, expired', cred: keyCred('A', 'agent', every, 'expired') },
  { name: 'B client key', cred: keyCred('B', 'client', defaultPermissions.client) },
  { name: 'B import key', cred: keyCred('B', 'import', defaultPermissions.import) },
  { name: 'B agent key with every permission', cred: keyCred('B', 'agent', every) },
  { name: 'A member session', cred: sessionCred('A', 'member') },
  { name: 'A admin session', cred: sessionCred('A', 'admin') },
  { name: 'A owner session', cred: sessionCred('A', 'owner') },
  { name: 'A owner session without the CSRF header', cred: sessionCred('A', 'owner', { csrf: false }) },
  { name: 'A owner session, signed out', cred: sessionCred('A', 'owner', { state: 'signed out' }) },
  { name: 'A owner session, expired', cred: sessionCred('A', 'owner', { state: 'expired' }) },
  { name: 'B owner session on A’s project', cred: sessionCred('B', 'owner', { project: 'A' }) },
  { name: 'B owner session on its own project', cred: sessionCred('B', 'owner') },
];

const safe = new Set(['GET', 'HEAD']);

describe('tenant isolation: every route × every caller, two teams', { timeout: 180_000 }, () => {
  let control: ControlPlane;
  let store: Awaited<ReturnType<typeof openStore>>;
  let app: ReturnType<typeof buildHttpApp>;
  let keys: KeyRegistry;
  let closeSql: () => void;
  let scheduler: EmbeddedScheduler;
  const log = new RecordingLog();
  const registered = new Set<string>();
  const world = {} as Record<Team, TeamWorld>;
  let assertions = 0;
  let requests = 0;
  let cells = 0;

  const send = (req: Req, headers: Record<string, string> = {}) => {
    requests += 1;
    return app.inject({ method: req.method, url: req.url, headers, ...(req.payload !== undefined && { payload: req.payload }) });
  };

  /** The headers a caller sends to `rc` (keys as Bearer, or as ClickHouse basic auth on /clickhouse); a session names A's project by `a`. */
  function headersOf(cred: Cred, rc: RouteCase, a: Ids = world.A.ids): Record<string, string> {
    switch (cred.kind) {
      case 'none':
        return {};
      case 'header':
        return { authorization: cred.header };
      case 'key': {
        const secret = world[cred.team].secret(cred);
        return rc.access.kind === 'clickhouse' ? { authorization: `Basic ${Buffer.from(`analyst:${secret}`).toString('base64')}` } : { authorization: `Bearer ${secret}` };
      }
      case 'session': {
        const { token, csrf } = cred.state === 'forged' ? { token: randomBytes(32).toString('hex'), csrf: 'forged' } : world[cred.team].session(cred);
        return { cookie: `strix_session=${token}; strix_csrf=${csrf}`, ...(cred.csrf && { [csrfHeader]: csrf }), [projectHeader]: cred.project === 'A' ? a.project : world.B.ids.project };
      }
      default: {
        const never: never = cred;
        throw new Error(`unknown credential ${JSON.stringify(never)}`);
      }
    }
  }

  before(async () => {
    control = await openTestControl();
    store = await openStore();
    const warehouse = store.wh;
    keys = new KeyRegistry(() => control.principals(), () => control.revision());
    app = buildHttpApp({ keys, metrics: new StrixMetrics(), readiness: () => undefined, sessions: control.sessionAuth() });
    app.addHook('onRoute', (route) => {
      for (const method of [route.method].flat()) registered.add(`${method} ${route.url}`);
    });
    await app.register(edgeRoutes, {
      log,
      warehouse,
      rateLimits: { perKeyPerSecond: 1_000_000, perDevicePerSecond: 1_000_000, burstSeconds: 1 },
      overloaded: () => undefined,
    });
    const mailer = { send: async () => ({ messageId: `<${randomUUID()}@isolation>` }), close: async () => {} };
    const specs = jobSpecs();
    const jobIntervals = Object.fromEntries(specs.map((s) => [s.name, s.intervalMs]));
    scheduler = new EmbeddedScheduler({ runs: control.jobRuns(), activities: createActivities({ warehouse, directory: control }), jobs: specs });
    await app.register(apiRoutes, {
      analytics: createAnalytics({ warehouse, savedFunnels: control.funnels() }),
      issues: new IssueService({ warehouse, state: control.issueState() }),
      control,
      deadLetters: new DeadLetters({ warehouse }),
      mail: { mailer, from: 'strix@isolation.example', publicUrl: 'http://strix.test' },
      secretKey: randomBytes(32),
      attachments: { blobs: await DirectoryBlobStore.open(join(store.dir, 'attachments')), signingSecret: randomBytes(32) },
      jobs: {
        runs: control.jobRuns(),
        intervalsMs: jobIntervals,
        // Answers once the run ended: no caller meets another caller's run under way (a 409).
        dispatch: async (run) => {
          await scheduler.runTriggered(run.id);
        },
      },
    });
    const sqlLimits = { maxConcurrent: 4, maxConcurrentPerKey: 4, maxExecutionSeconds: 10, maxMemoryBytes: 1e9, maxResultBytes: 1e8 };
    closeSql = await mountSqlGateway(app, { dataPath: join(store.dir, 'chdb'), adminPassword: undefined, ...sqlLimits }, keys);
    await app.ready();
    for (const team of ['A', 'B'] as const) world[team] = await seedTeam(team, { control, warehouse, keys, app });
  });

  after(async () => {
    console.log(`isolation matrix: ${protectedCases.length + publicCases.length} routes and their HEADs × up to ${callers.length} callers = ${cells} cells; ${requests} requests, ${assertions} assertions`);
    await app?.close();
    await scheduler?.stop();
    closeSql?.();
    await store?.close();
    await control?.close();
  });

  it('classifies every route the app serves, and only those', () => {
    const table = new Set([...protectedCases, ...publicCases].map((c) => c.route));
    const covered = (route: string) => table.has(route) || (route.startsWith('HEAD ') && table.has(route.replace(/^HEAD /, 'GET ')));
    assert.deepEqual([...registered].filter((r) => !covered(r)).sort(), [], 'routes without an entry in test/isolation-routes.ts');
    assert.deepEqual([...table].filter((r) => !registered.has(r)).sort(), [], 'entries of test/isolation-routes.ts for routes the app does not serve');
    assertions += 2;
  });

  /**
   * The other team's data in an answer, ignoring what the request itself named
   * (a 404 names the id it was asked for) and what an invitation's link shows
   * whoever holds it.
   */
  function leakIn(body: string, sent: string, teams: readonly Team[]): string | undefined {
    for (const t of teams) {
      const { tok, markers, ids, invitationShows } = world[t];
      const echoed = [...markers.filter((m) => sent.includes(m)), ...(sent.includes(ids.inviteToken) ? invitationShows : [])];
      const rest = echoed.reduce((text, m) => text.replaceAll(m, ''), body);
      const found = [tok, ...markers].find((m) => rest.includes(m));
      if (found) return `team ${t}'s "${found}"`;
    }
    return undefined;
  }

  const normalize = (body: string, ids: Ids) =>
    (Object.entries(ids) as [keyof Ids, string][])
      .sort(([, a], [, b]) => b.length - a.length)
      .reduce((text, [k, v]) => text.replaceAll(v, `<${k}>`), body);

  /** Team A's data as its owner and its agent key see it: what no other caller's write may change. */
  async function snapshot(): Promise<Map<string, string>> {
    const a = world.A;
    const owner = headersOf(sessionCred('A', 'owner'), protectedCases[0]!);
    const agent = { authorization: `Bearer ${a.secret(keyCred('A', 'agent', every))}` };
    const { ids } = a;
    const views: [Record<string, string>, string][] = [
      ...['/v1/project', '/v1/project/members', '/v1/apps', '/v1/funnels', `/v1/funnels/${ids.funnel}`, '/v1/dead-letters'].map((u) => [agent, u] as [Record<string, string>, string]),
      [agent, '/v1/issues?data_mode=all&status=new,in_progress,resolved,regressed,silenced'],
      ...[ids.issue, ids.issue2].map((i) => [agent, `/v1/issues/${i}`] as [Record<string, string>, string]),
      ...[`/v1/teams/${ids.team}/projects`, `/v1/projects/${ids.deletedProject}`, `/v1/projects/${ids.project}/keys`, `/v1/projects/${ids.project}/apps`].map((u) => [owner, u] as [Record<string, string>, string]),
      ...[`/v1/teams/${ids.team}/members`, `/v1/teams/${ids.team}/invitations`, '/v1/sessions', `/v1/audit-log?team_id=${ids.team}&limit=200`].map((u) => [owner, u] as [Record<string, string>, string]),
    ];
    const out = new Map<string, string>();
    for (const [headers, url] of views) {
      const res = await send({ method: 'GET', url }, headers);
      out.set(url, `${res.statusCode} ${res.body}`);
    }
    return out;
  }

  /** Checks one answer against what the matrix expects; returns what is wrong, or nothing. */
  function judge(rc: RouteCase, caller: Caller, want: Expect, req: Req, headers: Record<string, string>, res: LightMyRequestResponse): string[] {
    const problems: string[] = [];
    const cred = caller.cred;
    const status = res.statusCode;
    assertions += 1;
    if (status >= 500) problems.push(`${status} ${res.body.slice(0, 300)}`);
    else if (typeof want === 'number' && status !== want) problems.push(`expected ${want}, got ${status}: ${res.body.slice(0, 300)}`);
    else if (typeof want === 'object' && (status < 200 || status > 299)) problems.push(`expected 2xx with team ${want.ok}'s data, got ${status}: ${res.body.slice(0, 300)}`);
    if (problems.length > 0 || req.method === 'HEAD') return problems;
    const team = cred.kind === 'key' || (cred.kind === 'session' && cred.state === 'live') ? cred.team : undefined;
    if (!(rc.access.kind === 'public' && rc.access.capability)) {
      assertions += 1;
      const leak = leakIn(res.body, JSON.stringify([req, headers]), team === 'A' ? ['B'] : team === 'B' ? ['A'] : ['A', 'B']);
      if (leak) problems.push(`answer (${status}) holds ${leak}: ${res.body.slice(0, 300)}`);
    }
    if (typeof want !== 'object') return problems;
    const { ids, markers, tok } = world[want.ok];
    try {
      if (rc.check) {
        rc.check(JSON.parse(res.body) as Record<string, unknown>, want.ok, ids);
        assertions += 1;
      }
      if (rc.reveals) {
        assert.ok([tok, ...markers].some((m) => res.body.includes(m)), `the answer shows none of team ${want.ok}'s data`);
        assertions += 1;
      }
      // Whatever the protocol answers, what it appended went to the key's own project and app.
      if (rc.access.kind === 'edge' && log.last) {
        const record = JSON.parse(log.last?.value.toString() ?? '{}') as { project_id?: string; app_id?: string };
        assert.deepEqual([record.project_id, record.app_id], [ids.project, ids.app], 'the batch went to the key’s own project and app');
        assertions += 1;
      }
    } catch (error) {
      problems.push(`2xx answer: ${(error as Error).message.split('\n')[0]}: ${res.body.slice(0, 300)}`);
    }
    return problems;
  }

  /** Runs `rc` for every caller; answers the failures, each naming route and caller. */
  async function runRoute(rc: RouteCase, method: Method): Promise<string[]> {
    const failures: string[] = [];
    const { A, B } = world;
    const fail = (c: Caller, problems: string[]) => failures.push(...problems.map((p) => `${method} ${rc.route.split(' ')[1]} × ${c.name}: ${p}`));
    /** Sends `req` as `c` (a session naming A's project by `a`) and judges the answer against `want`. */
    const attempt = async (c: Caller, want: Expect | undefined, req: Req, a = A.ids) => {
      const headers = headersOf(c.cred, rc, a);
      log.appended.length = 0;
      const res = await send({ ...req, method: req.method === 'GET' ? method : req.method }, headers);
      if (want !== undefined) fail(c, judge(rc, c, want, { ...req, method }, headers, res));
      return res;
    };
    const planned = callers
      .filter((c) => rc.access.kind === 'agent' || c.cred.kind !== 'session' || c.cred.project === c.cred.team)
      .map((c) => ({ c, want: expected(rc, c.cred, method) }));
    cells += planned.length;
    if (rc.access.kind === 'public') {
      const statuses = new Map<number, string>();
      for (const { c } of planned) {
        const res = await attempt(c, undefined, rc.request(A.ids));
        statuses.set(res.statusCode, c.name);
        fail(c, judge(rc, c, res.statusCode, { ...rc.request(A.ids), method }, {}, res));
      }
      assertions += 1;
      if (statuses.size !== 1) failures.push(`${method} ${rc.route.split(' ')[1]}: a public route answers callers differently: ${JSON.stringify([...statuses])}`);
      return failures;
    }
    const mutating = !safe.has(method);
    const before = mutating ? await snapshot() : undefined;
    // Refused callers and the other team's: against team A's own resources.
    for (const { c, want } of planned.filter((p) => !(typeof p.want === 'object' && p.want.ok === 'A'))) {
      const res = await attempt(c, want, rc.request(A.ids));
      if (method === 'HEAD' || c.cred.kind === 'none' || c.cred.kind === 'header' || c.cred.team !== 'B') continue;
      if (want === 404 && res.statusCode === 404) {
        // Another team's ids answer exactly as ids that exist nowhere: nothing to infer.
        const ghost = await attempt(c, undefined, rc.request(A.ghost), A.ghost);
        assertions += 1;
        if (ghost.statusCode !== res.statusCode || normalize(ghost.body, A.ghost) !== normalize(res.body, A.ids)) {
          fail(c, [`answers A's ids (${res.statusCode} ${res.body.slice(0, 200)}) unlike ids that do not exist (${ghost.statusCode} ${ghost.body.slice(0, 200)})`]);
        }
      }
      const ownWant = expected({ ...rc, names: undefined }, c.cred, method);
      if (rc.mixed && typeof ownWant === 'object' && ownWant.ok === 'B') {
        const mixed = rc.mixed(A.ids, B.ids);
        const res2 = await attempt(c, undefined, mixed);
        fail(c, judge(rc, c, 404, mixed, headersOf(c.cred, rc), res2).map((p) => `B's own container naming A's: ${p}`));
      }
    }
    if (before) {
      const now = await snapshot();
      assertions += 1;
      for (const [url, view] of before) if (now.get(url) !== view) failures.push(`${rc.route}: team A's ${url} changed by another caller: ${view.slice(0, 300)} → ${now.get(url)?.slice(0, 300)}`);
    }
    // Team A's allowed callers: on throwaway resources where the request would change A's fixtures.
    for (const { c, want } of planned.filter((p) => typeof p.want === 'object' && p.want.ok === 'A')) {
      const scratch = mutating && rc.scratch ? await rc.scratch(A.scratch, c.cred) : {};
      await attempt(c, want, rc.request({ ...A.ids, ...scratch }));
    }
    if (rc.endsSessions) for (const team of ['A', 'B'] as const) await world[team].renewSessions();
    await keys.poll();
    return failures;
  }

  for (const rc of [...publicCases, ...protectedCases]) {
    it(rc.route, async () => {
      const method = rc.route.split(' ')[0] as Method;
      const failures = await runRoute(rc, method);
      if (method === 'GET' && registered.has(rc.route.replace(/^GET /, 'HEAD '))) failures.push(...(await runRoute(rc, 'HEAD')));
      assert.deepEqual(failures, [], `${failures.length} isolation failures:\n${failures.join('\n')}`);
    });
  }

  it('/clickhouse: each team’s agent key counts and reads its own rows only, in every table an analyst may read', async () => {
    const query = async (team: Team, sql: string) => {
      const secret = world[team].secret(keyCred(team, 'agent', every));
      const res = await send({ method: 'POST', url: '/clickhouse', payload: `${sql} FORMAT JSONEachRow` }, { authorization: `Basic ${Buffer.from(`analyst:${secret}`).toString('base64')}` });
      assert.equal(res.statusCode, 200, `${team}: ${sql}: ${res.body}`);
      return { body: res.body, rows: res.body.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, string>) };
    };
    const withProjects = new Set((await store.wh.query<{ t: string }>("SELECT DISTINCT table AS t FROM system.columns WHERE database = currentDatabase() AND name = 'project_id'")).map((r) => r.t));
    for (const [team, other] of [['A', 'B'], ['B', 'A']] as const) {
      const own = world[team].ids.project;
      const foreign = world[other].ids.project;
      const trusted = await store.wh.query<{ n: string }>('SELECT count() AS n FROM events WHERE project_id = {p:String}', { p: own });
      assert.deepEqual((await query(team, 'SELECT count() AS n FROM events')).rows, [{ n: String(trusted[0]!.n) }], `${team} counts exactly its own events`);
      assertions += 1;
      for (const name of analystReadableTables) {
        // The one parameterized view, called as analysts call it.
        const table = name === 'funnel_conversions' ? "funnel_conversions(steps = ['signup', 'purchase'], window_seconds = 86400, from = now64(3) - INTERVAL 1 DAY, to = now64(3))" : name;
        const leak = leakIn((await query(team, `SELECT * FROM ${table}`)).body, '', [other]);
        assert.equal(leak, undefined, `${team} reads ${leak} in ${table}`);
        assertions += 1;
        if (!withProjects.has(name)) continue;
        assert.deepEqual((await query(team, `SELECT count() AS n FROM ${table} WHERE project_id = '${foreign}'`)).rows, [{ n: '0' }], `${team} counts no row of ${other} in ${table}`);
        const seen = (await query(team, `SELECT DISTINCT project_id AS p FROM ${table}`)).rows.map((r) => r.p);
        assert.ok(seen.every((p) => p === own), `${team} sees only its project in ${table}: ${seen.join(', ')}`);
        assertions += 2;
      }
    }
  });
});
