// The isolation matrix's table: every route Strix serves, what it requires, and what a caller of either team must see.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { Permission, Role } from '@strix/contracts';
import type { Access, Cred, Expect, Ids, Method, Req, RouteCase, Team } from './isolation-rules.ts';

/** People active in each team's seeded data: a count a leak would change. */
export const seedPeople: Record<Team, number> = { A: 3, B: 1 };

let serial = 0;
/** A fresh address per request: sign-in codes and invitations are throttled or unique per address. */
const unique = (what: string) => `${what}-${++serial}@isolation.example`;
const range = () => ({ from: new Date(Date.now() - 86_400_000).toISOString(), to: new Date(Date.now() + 3_600_000).toISOString() });
export const steps = [{ event: 'signup' }, { event: 'purchase' }];
const get = (url: string) => (): Req => ({ method: 'GET', url });
const num = (v: unknown) => v as number;
const entered = (json: Record<string, unknown>) => num((json.groups as { totals: { entered: number } }[])[0]?.totals.entered);
/** Everyone a trend counted, over its periods. */
const trendEntered = (json: Record<string, unknown>) => (json.points as { entered: number }[]).reduce((sum, p) => sum + num(p.entered), 0);

const agent = (permission: Permission): Access => ({ kind: 'agent', permission });
/** A 2xx of team B's caller is a 404: B has no such resource of its own (and must not reach A's). */
const unlinkedForB = (cred: Cred, base: Expect): Expect => ((cred.kind === 'key' || cred.kind === 'session') && cred.team === 'B' && typeof base === 'object' ? 404 : base);
/** The file every matrix attachment holds. */
export const attachmentBody = 'a file attached to an event';
export const attachmentSha = createHash('sha256').update(attachmentBody).digest('hex');
const user = (role: Role): Access => ({ kind: 'user', role });
const publicRoute = (route: string, url = route.split(' ')[1]!): RouteCase => ({ route, access: { kind: 'public' }, request: () => ({ method: route.split(' ')[0] as Method, url }) });
const sql = (method: Method, url: string): RouteCase => ({
  route: `${method} ${url}`,
  access: { kind: 'clickhouse' },
  request: () => {
    const query = 'SELECT count() AS n, groupUniqArray(project_id) AS p FROM events FORMAT JSONEachRow';
    return method === 'GET' ? { method, url: `${url}?query=${encodeURIComponent(query)}` } : { method, url, payload: query };
  },
  check: (json, _team, ids) => assert.deepEqual(json.p, [ids.project]),
});
const batch = (url: string, field: string, item: object): RouteCase => ({
  route: `POST ${url.replace(':', '::')}`,
  access: { kind: 'edge', keyType: 'client' },
  // Names another team's project and app in the body: a client key writes to its own, whatever the body says.
  request: (ids) => ({ method: 'POST', url, payload: { [field]: [{ ...item, project_id: ids.project, app_id: ids.app }] } }),
});

/** A route no caller needs a credential for (health, documentation, sign-in): it answers everyone alike. */
export const publicCases: RouteCase[] = [
  ...['/docs', '/docs/static/index.html', '/docs/static/swagger-initializer.js', '/docs/json', '/docs/yaml', '/openapi.json', '/healthz', '/readyz', '/metrics'].map((p) => publicRoute(`GET ${p}`)),
  publicRoute('HEAD /docs/'),
  publicRoute('GET /docs/static/*', '/docs/static/swagger-ui.css'),
  publicRoute('GET /clickhouse/ping'),
  // The token is the credential: without a valid one, everyone gets the same refusal.
  publicRoute('GET /v1/attachments/:id/download', '/v1/attachments/none/download?token=forged'),
  // RevenueCat's webhook: its Authorization header is the credential; none given, every caller gets the same 401.
  publicRoute('POST /v1/webhooks/revenuecat/:projectId', '/v1/webhooks/revenuecat/proj-none'),
  { route: 'POST /v1/auth/send-code', access: { kind: 'public' }, request: () => ({ method: 'POST', url: '/v1/auth/send-code', payload: { email: unique('code') } }) },
  { route: 'POST /v1/auth/verify', access: { kind: 'public' }, request: () => ({ method: 'POST', url: '/v1/auth/verify', payload: { email: unique('verify'), code: '000000' } }) },
  publicRoute('GET /v1/auth/link/:token', '/v1/auth/link/AAAAAAAAAAAAAAAAAAAAAAAA'),
  publicRoute('POST /v1/auth/link/:token', '/v1/auth/link/AAAAAAAAAAAAAAAAAAAAAAAA'),
  { route: 'GET /v1/invitations/:token', access: { kind: 'public', capability: true }, request: (ids) => ({ method: 'GET', url: `/v1/invitations/${ids.inviteToken}` }) },
];


type Extra = Partial<Omit<RouteCase, 'route' | 'access' | 'request'>> & { body?: (ids: Ids) => object };

/** A route case whose method is the route's; `url` and `body` build the request against the ids given. */
function at(route: string, access: Access, url: (ids: Ids) => string, { body, ...extra }: Extra = {}): RouteCase {
  const method = route.split(' ')[0] as Method;
  return { route, access, request: (ids) => ({ method, url: url(ids), ...(body && { payload: body(ids) }) }), ...extra };
}

const viaB = (method: Method, url: (a: Ids, b: Ids) => string, payload?: (a: Ids) => object) => (a: Ids, b: Ids): Req => ({ method, url: url(a, b), ...(payload && { payload: payload(a) }) });
const people = (json: Record<string, unknown>) => json.people;
const maxDau = (json: Record<string, unknown>) => Math.max(0, ...(json.days as { dau: number }[]).map((d) => d.dau));
const metricCount = (json: Record<string, unknown>) => (json.summary as { count: number }).count;

/** Every route that needs a credential, with the request that would reveal or change team A's data. */
export const protectedCases: RouteCase[] = [
  // The edge: a client key writes to its own project and app, whatever the body names.
  batch('/v1/ingest', 'events', { message: 'hello from the matrix' }),
  batch('/v1/track:batch', 'events', { name: 'signup' }),
  batch('/v1/metrics:batch', 'points', { name: 'matrix.load', value: 1 }),
  // An id stored for A's app: a duplicate for A's import key, a new event for B's (which learns nothing of A's ids).
  at('POST /v1/import', { kind: 'edge', keyType: 'import' }, () => '/v1/import', {
    body: (ids) => ({ events: [{ message: 'imported', client_event_id: ids.event, timestamp: Date.now() - 3_600_000, project_id: ids.project, app_id: ids.app }] }),
    check: (j, t) => assert.deepEqual([j.accepted, j.duplicates], t === 'A' ? [0, 1] : [1, 0]),
  }),

  // Sentry's and PostHog's protocols: a client key (here as Bearer; the SDKs send it in their own header, query or body) writes to its own project.
  ...['envelope/', 'envelope', 'store/', 'store'].map((tail) =>
    at(`POST /api/:projectId/${tail}`, { kind: 'edge', keyType: 'client' }, (ids) => `/api/${ids.project}/${tail}`, {
      body: () => (tail.startsWith('envelope') ? '{}\n{"type":"event"}\n{"message":"hello from the matrix"}\n' : '{"message":"hello from the matrix"}') as unknown as object,
    }),
  ),
  ...['/batch', '/capture', '/e', '/i/v0/e'].flatMap((path) =>
    [path, `${path}/`].flatMap((url) => [
      at(`POST ${url}`, { kind: 'edge', keyType: 'client' }, () => url, { body: () => ({ batch: [{ event: 'matrix_capture', distinct_id: 'matrix-user', properties: {} }] }) }),
      at(`GET ${url}`, { kind: 'edge', keyType: 'client' }, () => `${url}?data=${encodeURIComponent(Buffer.from(JSON.stringify({ batch: [{ event: 'matrix_capture', distinct_id: 'matrix-user', properties: {} }] })).toString('base64'))}`),
    ]),
  ),
  ...['/flags', '/flags/', '/decide', '/decide/'].map((url) => at(`POST ${url}`, { kind: 'edge', keyType: 'client' }, () => url, { body: () => ({ distinct_id: 'matrix-user' }) })),
  // The configuration is the same for every project; a key in the path that is no key is refused unless a header authenticates.
  at('GET /array/:key/config', { kind: 'edge', keyType: 'client' }, () => '/array/strix_client_none/config'),
  at('POST /array/:key/config', { kind: 'edge', keyType: 'client' }, () => '/array/strix_client_none/config'),
  at('GET /array/:key/config.js', { kind: 'edge', keyType: 'client' }, () => '/array/strix_client_none/config.js'),

  at('GET /v1/events', agent('events:read'), () => '/v1/events?data_mode=all', { reveals: true }),
  at('GET /v1/events/counts', agent('events:read'), () => '/v1/events/counts?data_mode=all', { reveals: true }),
  at('GET /v1/events/names', agent('events:read'), () => '/v1/events/names?data_mode=all', { reveals: true }),
  at('GET /v1/events/export', agent('events:read'), () => '/v1/events/export?data_mode=all&format=ndjson', { reveals: true }),
  at('GET /v1/audience/active', agent('events:read'), () => '/v1/audience/active?data_mode=all', { check: (j, t) => assert.equal(maxDau(j), seedPeople[t]) }),
  at('GET /v1/audience/screens', agent('events:read'), () => '/v1/audience/screens?data_mode=all', { reveals: true }),
  at('GET /v1/audience/live', agent('events:read'), () => '/v1/audience/live?data_mode=all', { check: (j, t) => assert.equal(people(j), seedPeople[t]) }),
  at('GET /v1/users', agent('events:read'), () => '/v1/users?property=plan&value=pro', { reveals: true }),
  at('GET /v1/users/:id', agent('events:read'), (ids) => `/v1/users/${ids.endUser}`, { names: true, reveals: true }),
  at('GET /v1/metrics', agent('metrics:read'), () => '/v1/metrics', { reveals: true }),
  // Team A's metric name: another project's answer for it is empty.
  at('GET /v1/metrics/*', agent('metrics:read'), (ids) => `/v1/metrics/${ids.metric}`, { check: (j, t) => assert.equal(metricCount(j), t === 'A' ? seedPeople.A : 0) }),

  at('GET /v1/project', agent('projects:read'), () => '/v1/project', { reveals: true }),
  at('PATCH /v1/project', agent('projects:write'), () => '/v1/project', { body: () => ({ color: '#0f0f0f' }) }),
  at('GET /v1/project/members', agent('projects:read'), () => '/v1/project/members', { reveals: true }),
  at('POST /v1/project/members', agent('projects:write'), () => '/v1/project/members', { body: () => ({ email: unique('recipient') }) }),
  at('DELETE /v1/project/members/:email', agent('projects:write'), (ids) => `/v1/project/members/${ids.recipient}`, { names: true, scratch: async (m) => ({ recipient: await m.recipient() }) }),
  at('GET /v1/dead-letters', agent('projects:write'), () => '/v1/dead-letters', { reveals: true }),
  // A client key reserves for its own app; the upload names a reservation, which only its app's key reaches.
  at('POST /v1/ingest/attachment', { kind: 'edge', keyType: 'client' }, () => '/v1/ingest/attachment', {
    body: () => ({ file_name: 'crash.txt', size: attachmentBody.length, sha256: attachmentSha, content_type: 'text/plain', client_event_id: 'matrix-event', user_id: 'matrix-user' }),
  }),
  at('PUT /v1/ingest/attachment/:id', { kind: 'edge', keyType: 'client' }, (ids) => `/v1/ingest/attachment/${ids.reservation}`, {
    names: true,
    body: () => attachmentBody as unknown as object,
    scratch: async (m) => ({ reservation: await m.attachment(false) }),
    expect: (cred, base) => (cred.kind === 'key' && cred.team === 'B' && typeof base === 'object' ? 404 : base),
  }),
  at('GET /v1/attachments', agent('issues:read'), () => '/v1/attachments?event_id=matrix-seed', { reveals: true }),
  at('GET /v1/attachments/:id', agent('issues:read'), (ids) => `/v1/attachments/${ids.attachment}`, { names: true, reveals: true }),
  at('DELETE /v1/attachments/:id', agent('issues:write'), (ids) => `/v1/attachments/${ids.attachment}`, { names: true, scratch: async (m) => ({ attachment: await m.attachment(true) }) }),
  // Only team A's project is linked to RevenueCat: B's callers find no link (404), never A's.
  at('GET /v1/integrations/revenuecat', agent('integrations:read'), () => '/v1/integrations/revenuecat', { reveals: true, expect: unlinkedForB }),
  at('DELETE /v1/integrations/revenuecat', agent('integrations:write'), () => '/v1/integrations/revenuecat', {
    expect: unlinkedForB,
    scratch: async (m) => {
      await m.revenueCatLink();
      return {};
    },
  }),
  at('POST /v1/integrations/revenuecat/webhook-secret::rotate', agent('integrations:write'), () => '/v1/integrations/revenuecat/webhook-secret:rotate', {
    reveals: true,
    expect: unlinkedForB,
    scratch: async (m) => {
      await m.revenueCatLink();
      return {};
    },
  }),
  at('PUT /v1/integrations/revenuecat', agent('integrations:write'), () => '/v1/integrations/revenuecat', { body: () => ({ revenuecat_project_id: 'projmatrix', api_key: 'sk_matrixmatrix' }) }),
  at('GET /v1/jobs', agent('jobs:read'), () => '/v1/jobs', { reveals: true }),
  at('GET /v1/jobs/:id', agent('jobs:read'), (ids) => `/v1/jobs/${ids.jobRun}`, { names: true, reveals: true }),
  // The app's scheduler answers once the run ended, so a caller never meets another's run under way.
  at('POST /v1/jobs/:type', agent('jobs:write'), () => '/v1/jobs/retention_cleanup', { body: () => ({}) }),
  at('POST /v1/jobs/:id/cancel', agent('jobs:write'), (ids) => `/v1/jobs/${ids.jobRun}/cancel`, { names: true, scratch: async (m) => ({ jobRun: await m.pendingJobRun() }) }),
  // A's person named in B's project: B's file is empty (its content is proven by people-data.test.ts); no A row may reach it.
  at('POST /v1/people/:user_id/export', agent('projects:write'), (ids) => `/v1/people/${ids.endUser}/export`),
  // A person who exists nowhere for A's allowed callers: A's fixtures keep their people.
  at('POST /v1/people/:user_id/delete', agent('projects:write'), (ids) => `/v1/people/${ids.endUser}/delete`, { scratch: async () => ({ endUser: `nobody-${Date.now()}` }) }),
  at('GET /v1/apps', agent('apps:read'), () => '/v1/apps', { reveals: true }),

  at('POST /v1/funnels/query', agent('funnels:read'), () => '/v1/funnels/query', { body: () => ({ steps, ...range() }), check: (j, t) => assert.equal(entered(j), seedPeople[t]) }),
  at('POST /v1/funnels/trend', agent('funnels:read'), () => '/v1/funnels/trend', { body: () => ({ steps, ...range() }), check: (j, t) => assert.equal(trendEntered(j), seedPeople[t]) }),
  at('POST /v1/funnels', agent('funnels:write'), () => '/v1/funnels', { body: () => ({ name: 'Intruder funnel', steps }) }),
  at('GET /v1/funnels', agent('funnels:read'), () => '/v1/funnels', { reveals: true }),
  at('GET /v1/funnels/:id', agent('funnels:read'), (ids) => `/v1/funnels/${ids.funnel}`, { names: true, reveals: true }),
  at('PATCH /v1/funnels/:id', agent('funnels:write'), (ids) => `/v1/funnels/${ids.funnel}`, {
    names: true,
    body: () => ({ name: 'Renamed by an intruder' }),
    scratch: async (m) => ({ funnel: await m.funnel() }),
  }),
  at('DELETE /v1/funnels/:id', agent('funnels:write'), (ids) => `/v1/funnels/${ids.funnel}`, { names: true, scratch: async (m) => ({ funnel: await m.funnel() }) }),
  at('POST /v1/funnels/:id/query', agent('funnels:read'), (ids) => `/v1/funnels/${ids.funnel}/query`, { names: true, body: range, check: (j, t) => assert.equal(entered(j), seedPeople[t]) }),
  at('POST /v1/funnels/:id/trend', agent('funnels:read'), (ids) => `/v1/funnels/${ids.funnel}/trend`, { names: true, body: range, check: (j, t) => assert.equal(trendEntered(j), seedPeople[t]) }),

  at('GET /v1/issues', agent('issues:read'), () => '/v1/issues?data_mode=all', { reveals: true }),
  at('POST /v1/issues/scan', agent('issues:write'), () => '/v1/issues/scan'),
  at('GET /v1/issues/:id', agent('issues:read'), (ids) => `/v1/issues/${ids.issue}`, { names: true, reveals: true }),
  at('PATCH /v1/issues/:id', agent('issues:write'), (ids) => `/v1/issues/${ids.issue}`, { names: true, body: () => ({ status: 'in_progress' }), scratch: async (m) => ({ issue: m.issue() }) }),
  at('POST /v1/issues/:id/merge', agent('issues:write'), (ids) => `/v1/issues/${ids.issue}/merge`, {
    names: true,
    body: (ids) => ({ source_ids: [ids.issue2] }),
    scratch: async (m) => ({ issue: m.issue(), issue2: m.issue() }),
    // B's own issue as the target, A's as the source.
    mixed: viaB('POST', (_a, b) => `/v1/issues/${b.issue}/merge`, (a) => ({ source_ids: [a.issue2] })),
  }),
  at('POST /v1/issues/:id/unmerge', agent('issues:write'), (ids) => `/v1/issues/${ids.issue}/unmerge`, {
    names: true,
    body: (ids) => ({ fingerprint: ids.fingerprint }),
    scratch: (m) => m.merged(),
    mixed: viaB('POST', (_a, b) => `/v1/issues/${b.issue}/unmerge`, (a) => ({ fingerprint: a.fingerprint })),
  }),
  at('GET /v1/issues/:id/comments', agent('issues:read'), (ids) => `/v1/issues/${ids.issue}/comments`, { names: true, reveals: true }),
  at('POST /v1/issues/:id/comments', agent('issues:write'), (ids) => `/v1/issues/${ids.issue}/comments`, { names: true, body: () => ({ body: 'An intruder was here' }) }),
  at('PATCH /v1/issues/:id/comments/:commentId', agent('issues:write'), (ids) => `/v1/issues/${ids.issue}/comments/${ids.comment}`, {
    names: true,
    body: () => ({ body: 'Edited by an intruder' }),
    scratch: async (m) => ({ comment: await m.comment() }),
    mixed: viaB('PATCH', (a, b) => `/v1/issues/${b.issue}/comments/${a.comment}`, () => ({ body: 'Edited by an intruder' })),
  }),
  at('DELETE /v1/issues/:id/comments/:commentId', agent('issues:write'), (ids) => `/v1/issues/${ids.issue}/comments/${ids.comment}`, {
    names: true,
    scratch: async (m) => ({ comment: await m.comment() }),
    mixed: viaB('DELETE', (a, b) => `/v1/issues/${b.issue}/comments/${a.comment}`),
  }),

  at('GET /v1/teams', user('member'), () => '/v1/teams', { reveals: true }),
  at('POST /v1/teams', user('member'), () => '/v1/teams', { body: () => ({ name: 'Intruder team' }) }),
  at('GET /v1/teams/:teamId/projects', user('member'), (ids) => `/v1/teams/${ids.team}/projects`, { names: true, reveals: true }),
  at('POST /v1/teams/:teamId/projects', user('admin'), (ids) => `/v1/teams/${ids.team}/projects`, { names: true, body: () => ({ name: 'Intruder project' }) }),
  at('GET /v1/projects/:projectId', user('member'), (ids) => `/v1/projects/${ids.project}`, { names: true, reveals: true }),
  at('PATCH /v1/projects/:projectId', user('admin'), (ids) => `/v1/projects/${ids.project}`, { names: true, body: () => ({ color: '#0f0f0f' }), scratch: async (m) => ({ project: await m.project() }) }),
  at('DELETE /v1/projects/:projectId', user('admin'), (ids) => `/v1/projects/${ids.project}`, { names: true, scratch: async (m) => ({ project: await m.project() }) }),
  at('POST /v1/projects/:projectId/restore', user('admin'), (ids) => `/v1/projects/${ids.deletedProject}/restore`, { names: true, scratch: async (m) => ({ deletedProject: await m.deletedProject() }) }),
  at('GET /v1/projects/:projectId/apps', user('member'), (ids) => `/v1/projects/${ids.project}/apps`, { names: true, reveals: true }),
  at('POST /v1/projects/:projectId/apps', user('admin'), (ids) => `/v1/projects/${ids.project}/apps`, { names: true, body: () => ({ name: 'Intruder app', platform: 'backend' }) }),
  at('GET /v1/projects/:projectId/apps/:appId', user('member'), (ids) => `/v1/projects/${ids.project}/apps/${ids.app}`, {
    names: true,
    reveals: true,
    mixed: viaB('GET', (a, b) => `/v1/projects/${b.project}/apps/${a.app}`),
  }),
  at('PATCH /v1/projects/:projectId/apps/:appId', user('admin'), (ids) => `/v1/projects/${ids.project}/apps/${ids.app}`, {
    names: true,
    body: () => ({ name: 'Renamed by an intruder' }),
    scratch: async (m) => ({ app: await m.app() }),
    mixed: viaB('PATCH', (a, b) => `/v1/projects/${b.project}/apps/${a.app}`, () => ({ name: 'Renamed by an intruder' })),
  }),
  at('DELETE /v1/projects/:projectId/apps/:appId', user('admin'), (ids) => `/v1/projects/${ids.project}/apps/${ids.app}`, {
    names: true,
    scratch: async (m) => ({ app: await m.app() }),
    mixed: viaB('DELETE', (a, b) => `/v1/projects/${b.project}/apps/${a.app}`),
  }),
  at('GET /v1/projects/:projectId/keys', user('admin'), (ids) => `/v1/projects/${ids.project}/keys`, { names: true, reveals: true }),
  at('POST /v1/projects/:projectId/keys', user('admin'), (ids) => `/v1/projects/${ids.project}/keys`, { names: true, body: () => ({ type: 'agent', name: 'intruder' }) }),
  at('POST /v1/projects/:projectId/keys/:keyId/rotate', user('admin'), (ids) => `/v1/projects/${ids.project}/keys/${ids.key}/rotate`, {
    names: true,
    body: () => ({ overlap_hours: 1 }),
    scratch: async (m) => ({ key: await m.key() }),
    mixed: viaB('POST', (a, b) => `/v1/projects/${b.project}/keys/${a.key}/rotate`, () => ({ overlap_hours: 1 })),
  }),
  at('DELETE /v1/projects/:projectId/keys/:keyId', user('admin'), (ids) => `/v1/projects/${ids.project}/keys/${ids.key}`, {
    names: true,
    scratch: async (m) => ({ key: await m.key() }),
    mixed: viaB('DELETE', (a, b) => `/v1/projects/${b.project}/keys/${a.key}`),
  }),

  at('GET /v1/teams/:teamId/members', user('member'), (ids) => `/v1/teams/${ids.team}/members`, { names: true, reveals: true }),
  // The bystander is an admin: an admin cannot change or remove one, so A's admin changes a scratch member.
  at('PATCH /v1/teams/:teamId/members/:userId', user('admin'), (ids) => `/v1/teams/${ids.team}/members/${ids.member}`, {
    names: true,
    body: () => ({ role: 'member' }),
    scratch: async (m) => ({ member: await m.member() }),
    mixed: viaB('PATCH', (a, b) => `/v1/teams/${b.team}/members/${a.member}`, () => ({ role: 'member' })),
  }),
  at('DELETE /v1/teams/:teamId/members/:userId', user('admin'), (ids) => `/v1/teams/${ids.team}/members/${ids.member}`, {
    names: true,
    scratch: async (m) => ({ member: await m.member() }),
    mixed: viaB('DELETE', (a, b) => `/v1/teams/${b.team}/members/${a.member}`),
  }),
  at('GET /v1/teams/:teamId/invitations', user('admin'), (ids) => `/v1/teams/${ids.team}/invitations`, { names: true, reveals: true }),
  at('POST /v1/teams/:teamId/invitations', user('admin'), (ids) => `/v1/teams/${ids.team}/invitations`, { names: true, body: () => ({ email: unique('invitee'), role: 'member' }) }),
  at('POST /v1/teams/:teamId/invitations/:id/resend', user('admin'), (ids) => `/v1/teams/${ids.team}/invitations/${ids.invitation}/resend`, {
    names: true,
    scratch: async (m) => ({ invitation: await m.invitation() }),
    mixed: viaB('POST', (a, b) => `/v1/teams/${b.team}/invitations/${a.invitation}/resend`),
  }),
  at('DELETE /v1/teams/:teamId/invitations/:id', user('admin'), (ids) => `/v1/teams/${ids.team}/invitations/${ids.invitation}`, {
    names: true,
    scratch: async (m) => ({ invitation: await m.invitation() }),
    mixed: viaB('DELETE', (a, b) => `/v1/teams/${b.team}/invitations/${a.invitation}`),
  }),
  // The invitation names another address: every signed-in caller is refused (the invitee accepts in team.test.ts).
  at('POST /v1/invitations/:token/accept', user('member'), (ids) => `/v1/invitations/${ids.inviteToken}/accept`, {
    names: true,
    expect: (cred, base) => (cred.kind === 'session' && cred.state === 'live' && cred.csrf ? 403 : base),
  }),

  { route: 'GET /v1/me', access: { kind: 'me' }, request: get('/v1/me'), reveals: true },
  { route: 'GET /v1/audit-log', access: { kind: 'audit' }, names: true, reveals: true, request: (ids) => ({ method: 'GET', url: `/v1/audit-log?team_id=${ids.team}` }) },
  at('POST /v1/auth/sign-out', user('member'), () => '/v1/auth/sign-out', { endsSessions: true }),
  at('GET /v1/sessions', user('member'), () => '/v1/sessions', { reveals: true }),
  // The owner's session: nobody else's caller may sign it out.
  at('DELETE /v1/sessions/:id', user('member'), (ids) => `/v1/sessions/${ids.session}`, {
    names: true,
    scratch: async (m, cred) => ({ session: await m.session(cred) }),
    expect: (cred, base) => (cred.kind === 'session' && cred.team === 'A' && cred.role !== 'owner' && typeof base === 'object' ? 404 : base),
  }),
  at('POST /v1/sessions/sign-out-everywhere', user('member'), () => '/v1/sessions/sign-out-everywhere', { body: () => ({ keep_current: true }), endsSessions: true }),

  sql('GET', '/clickhouse'),
  sql('POST', '/clickhouse'),
  sql('GET', '/clickhouse/'),
  sql('POST', '/clickhouse/'),
];
