// The two teams of the isolation matrix: their people, keys, sessions and data, and throwaway resources for allowed writes.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { allowedPermissions, defaultPermissions, type Role, type Warehouse } from '@strix/contracts';
import {
  addDigestRecipient,
  createApp,
  createKey,
  createProject,
  createSession,
  createTeam,
  deleteProject,
  ensureUser,
  revokeKey,
  revokeSession,
  setTeamRole,
  systemActor,
  type ControlPlane,
  type ControlSql,
  type NewSession,
} from '@strix/control';
import type { KeyRegistry } from '@strix/http';
import { issueIdFor } from '@strix/issues';
import { upsertProject } from '@strix/warehouse';
import { errorRow, eventRow } from '@strix/testkit/rows';
import { seedDeadLetters } from '@strix/testkit/stores';
import { attachmentBody, attachmentSha, seedPeople, steps } from './isolation-routes.ts';
import type { Cred, Ids, Scratch, Team } from './isolation-rules.ts';

export const system = systemActor('isolation test');

type KeyCred = Extract<Cred, { kind: 'key' }>;
type SessionCred = Extract<Cred, { kind: 'session' }>;

export interface TeamWorld {
  ids: Ids;
  /** The same kinds of ids, existing nowhere. */
  ghost: Ids;
  /** In every name of the team's data (ids, addresses, messages). */
  tok: string;
  /** Ids and secrets that are this team's alone, longest first: none may reach the other team's callers. */
  markers: string[];
  /** What the invitation's link shows whoever holds it (its public page): the invited address, the inviter, the team. */
  invitationShows: string[];
  secret(cred: KeyCred): string;
  session(cred: SessionCred): { token: string; csrf: string };
  /** Signs everyone in again (after a route that signs sessions out). */
  renewSessions(): Promise<void>;
  scratch: Scratch;
}

export interface WorldDeps {
  control: ControlPlane;
  warehouse: Warehouse;
  keys: KeyRegistry;
  app: FastifyInstance;
}

const roles = ['owner', 'admin', 'member'] as const satisfies readonly Role[];
const keyLabel = (c: Pick<KeyCred, 'type' | 'permissions' | 'state'>) => `${c.type}:${c.state}:${[...c.permissions].sort().join(',')}`;
/** The keys each team holds: one per kind of caller of the matrix. */
const keySpecs = [
  { type: 'client', permissions: defaultPermissions.client, state: 'live' },
  { type: 'import', permissions: defaultPermissions.import, state: 'live' },
  { type: 'agent', permissions: ['integrations:read'], state: 'live' },
  { type: 'agent', permissions: defaultPermissions.agent, state: 'live' },
  { type: 'agent', permissions: allowedPermissions.agent, state: 'live' },
  { type: 'agent', permissions: allowedPermissions.agent, state: 'revoked' },
  { type: 'agent', permissions: allowedPermissions.agent, state: 'expired' },
] as const;
/** Issues an allowed caller of team A may merge, unmerge or move. */
const poolSize = 30;

/** An id of the same shape that exists nowhere: the team's token swapped, or fresh random characters after the prefix. */
function ghostOf(value: string, tok: string, ghostTok: string): string {
  if (value.includes(tok)) return value.replaceAll(tok, ghostTok);
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(value)) return randomUUID();
  const cut = value.indexOf('_') + 1;
  return value.slice(0, cut) + [...value.slice(cut)].map((ch) => (/[0-9a-f]/.test(ch) ? randomBytes(1)[0]!.toString(16).slice(-1) : ch)).join('');
}

/** Creates team `team` with a project, an app, people, keys, sessions, events, issues, a saved funnel, a comment and an invitation. */
export async function seedTeam(team: Team, { control, warehouse, keys, app }: WorldDeps): Promise<TeamWorld> {
  const tok = `${team.toLowerCase()}${randomBytes(5).toString('hex')}`;
  const project = `proj-${tok}`;
  const appId = `app-${tok}`;
  const secrets = new Map<string, { id: string; secret: string }>();
  const users: Record<Role | 'bystander', string> = { owner: '', admin: '', member: '', bystander: '' };
  const sessions = {} as Record<Role | 'signed out' | 'expired', NewSession>;
  const signIn = async (tx: ControlSql) => {
    for (const role of roles) sessions[role] = await createSession(tx, users[role], {});
  };

  const teamId = await control.db.transaction(async (tx) => {
    const { id } = await createTeam(tx, { id: `team-${tok}`, name: `Team ${tok}` }, system);
    await createProject(tx, id, { id: project, name: `Project ${tok}` }, system);
    await createApp(tx, project, { id: appId, name: `App ${tok}`, platform: 'backend', bundle_id: null }, system);
    await createProject(tx, id, { id: `gone-${tok}`, name: `Deleted ${tok}` }, system);
    await deleteProject(tx, `gone-${tok}`, system);
    for (const role of [...roles, 'bystander'] as const) {
      users[role] = (await ensureUser(tx, `${role}@${tok}.example`, `${role} ${tok}`)).user.id;
      await setTeamRole(tx, id, users[role], role === 'bystander' ? 'admin' : role, system);
    }
    for (const spec of keySpecs) {
      const type = spec.type;
      const expiresAt = spec.state === 'expired' ? Date.now() + 60_000 : null;
      const made = await createKey(tx, project, { type, appId: type === 'agent' ? null : appId, name: `${spec.state} ${type}`, permissions: spec.permissions, expiresAt }, system);
      if (spec.state === 'revoked') await revokeKey(tx, project, made.key.id, system);
      // A key cannot be created expired: its expiry is moved into the past, as time would.
      if (spec.state === 'expired') await tx.query(`UPDATE api_keys SET expires_at = now() - interval '1 minute' WHERE id = $1`, [made.key.id]);
      secrets.set(keyLabel(spec), { id: made.key.id, secret: made.secret });
    }
    await addDigestRecipient(tx, id, project, { email: `digest@${tok}.example`, name: `Digest ${tok}` }, system);
    await signIn(tx);
    sessions['signed out'] = await createSession(tx, users.owner, {});
    await revokeSession(tx, users.owner, sessions['signed out'].id);
    sessions.expired = await createSession(tx, users.owner, {}, Date.now() - 31 * 86_400_000);
    return id;
  });
  await keys.refresh();

  // Events a minute old: inside every default window, the live one (five minutes) included.
  const ts = Date.now() - 60_000;
  const base = { project_id: project, app_id: appId, ts, screen_name: `Screen ${tok}`, app_version: '1.0.0' };
  const person = (i: number) => ({ user_id: `user${i}-${tok}`, session_id: `session${i}-${tok}` });
  const fingerprints = [`crash-${tok}`, `hang-${tok}`, ...(team === 'A' ? Array.from({ length: poolSize }, (_, i) => `pool${i}-${tok}`) : [])];
  await upsertProject(warehouse, { project_id: project, name: `Project ${tok}`, retention_days: 90 });
  await warehouse.insert('events', [
    ...Array.from({ length: seedPeople[team] }, (_, i) => [
      eventRow({ ...base, ...person(i + 1), kind: 'track', name: 'signup', message: '' }),
      eventRow({ ...base, ...person(i + 1), kind: 'metric', name: `load.${tok}`, message: '', metric_phase: 'record', metric_value: 5 }),
    ]).flat(),
    eventRow({ ...base, ...person(1), event_id: `event-${tok}`, name: 'view', message: `Opened ${tok}`, user_set: { plan: 'pro' } }),
    ...fingerprints.map((fingerprint) => errorRow({ ...base, ...person(1), fingerprint, message: `Failure ${fingerprint}`, exception_type: 'TypeError' })),
  ]);
  const failedAt = Date.now();
  await seedDeadLetters(warehouse, [{ projectId: project, appId, reason: `Unreadable ${tok}`, eventId: `dead-${tok}`, source: { topic: 'events', partition: 0, offset: 1 }, payload: Buffer.from(tok), failedAt }], `dead-${tok}`);

  const agentSecret = secrets.get(keyLabel({ type: 'agent', permissions: allowedPermissions.agent, state: 'live' }))!.secret;
  const asAgent = { authorization: `Bearer ${agentSecret}` };
  const asOwner = () => ({ cookie: `strix_session=${sessions.owner.token}; strix_csrf=${sessions.owner.csrf}`, 'x-strix-csrf': sessions.owner.csrf });
  const call = async (headers: Record<string, string>, method: 'POST' | 'PUT' | 'DELETE', url: string, payload?: object) => {
    const res = await app.inject({ method, url, headers, ...(payload && { payload }) });
    assert.ok(res.statusCode < 300, `${method} ${url}: ${res.statusCode} ${res.body}`);
    return (res.body ? res.json() : {}) as Record<string, unknown> & { id: string };
  };
  await call(asAgent, 'POST', '/v1/issues/scan');
  const issue = issueIdFor(project, fingerprints[0]!);
  const funnel = (await call(asAgent, 'POST', '/v1/funnels', { name: `Funnel ${tok}`, steps })).funnel as { id: string };
  const comment = (await call(asAgent, 'POST', `/v1/issues/${issue}/comments`, { body: `Comment ${tok}` })).comment as { id: string };
  const invited = await call(asOwner(), 'POST', `/v1/teams/${teamId}/invitations`, { email: `invitee@${tok}.example`, role: 'member' });
  const invitation = invited.invitation as { id: string };
  const jobRun = ((await call(asAgent, 'POST', '/v1/jobs/retention_cleanup', {})).run as { id: string }).id;
  const asClient = { authorization: `Bearer ${secrets.get(keyLabel({ type: 'client', permissions: defaultPermissions.client, state: 'live' }))!.secret}` };
  const attachment = async (upload: boolean, eventId = `event-${randomUUID()}`) => {
    const reserve = { file_name: `file-${tok}.txt`, size: attachmentBody.length, sha256: attachmentSha, content_type: 'text/plain', client_event_id: eventId, user_id: `user1-${tok}` };
    const { attachment: made } = (await call(asClient, 'POST', '/v1/ingest/attachment', reserve)) as unknown as { attachment: { id: string } };
    if (upload) {
      const res = await app.inject({ method: 'PUT', url: `/v1/ingest/attachment/${made.id}`, headers: { ...asClient, 'content-type': 'application/octet-stream' }, payload: attachmentBody });
      assert.equal(res.statusCode, 200, res.body);
    }
    return made.id;
  };
  const revenueCatLink = async () => {
    if (team === 'A') await call(asAgent, 'PUT', '/v1/integrations/revenuecat', { revenuecat_project_id: `rc${tok}`, api_key: `sk_${tok}key` });
  };
  await revenueCatLink();
  const uploaded = await attachment(true, 'matrix-seed');
  const reservation = await attachment(false);

  const ids: Ids = {
    team: teamId,
    project,
    deletedProject: `gone-${tok}`,
    app: appId,
    key: secrets.get(keyLabel({ type: 'agent', permissions: defaultPermissions.agent, state: 'live' }))!.id,
    funnel: funnel.id,
    issue,
    issue2: issueIdFor(project, fingerprints[1]!),
    fingerprint: fingerprints[0]!,
    comment: comment.id,
    member: users.bystander,
    recipient: `digest@${tok}.example`,
    invitation: invitation.id,
    inviteToken: String(invited.invite_url).split('/').pop()!,
    session: sessions.owner.id,
    endUser: `user1-${tok}`,
    metric: `load.${tok}`,
    event: `event-${tok}`,
    jobRun,
    attachment: uploaded,
    reservation,
  };
  const ghostTok = `g${randomBytes(5).toString('hex')}`;
  const ghost = Object.fromEntries((Object.entries(ids) as [keyof Ids, string][]).map(([k, v]) => [k, ghostOf(v, tok, ghostTok)])) as unknown as Ids;
  const pool = fingerprints.slice(2);
  const markers = (): string[] =>
    [...(Object.values(ids) as string[]), ...Object.values(users), ...[...secrets.values()].flatMap((k) => [k.id, k.secret]), ...Object.values(sessions).flatMap((s) => [s.id, s.token])].sort(
      (a, b) => b.length - a.length,
    );
  const world: TeamWorld = {
    ids,
    ghost,
    tok,
    markers: markers(),
    invitationShows: [`invitee@${tok}.example`, `owner@${tok}.example`, `owner ${tok}`, `Team ${tok}`],
    secret: (cred) => {
      const found = secrets.get(keyLabel(cred));
      assert.ok(found, `team ${team} holds no key ${keyLabel(cred)}`);
      return found.secret;
    },
    session: (cred) => sessions[cred.state === 'live' ? cred.role : cred.state === 'forged' ? 'owner' : cred.state],
    async renewSessions() {
      await control.db.transaction(signIn);
      world.markers = markers();
    },
    scratch: {
      project: async () => (await call(asOwner(), 'POST', `/v1/teams/${teamId}/projects`, { name: 'Scratch project' })).id,
      async deletedProject() {
        const id = await this.project();
        await call(asOwner(), 'DELETE', `/v1/projects/${id}`);
        return id;
      },
      app: async () => (await call(asOwner(), 'POST', `/v1/projects/${project}/apps`, { name: 'Scratch app', platform: 'backend' })).id,
      key: async () => (await call(asOwner(), 'POST', `/v1/projects/${project}/keys`, { type: 'agent', name: 'scratch' })).id,
      invitation: async () => ((await call(asOwner(), 'POST', `/v1/teams/${teamId}/invitations`, { email: `scratch-${randomUUID()}@${tok}.example`, role: 'member' })).invitation as { id: string }).id,
      member: () =>
        control.db.transaction(async (tx) => {
          const { user } = await ensureUser(tx, `scratch-${randomUUID()}@${tok}.example`);
          await setTeamRole(tx, teamId, user.id, 'member', system);
          return user.id;
        }),
      recipient: async () => String((await call(asAgent, 'POST', '/v1/project/members', { email: `scratch-${randomUUID()}@${tok}.example` })).email),
      attachment,
      revenueCatLink,
      async pendingJobRun() {
        const run = { id: randomUUID(), job: 'revenuecat_backfill' as const, project_id: project, trigger: 'manual' as const, params: {}, triggered_by: null, notify: false, scheduled_at: Date.now() };
        const opened = await control.jobRuns().open(run, 'pending', Date.now());
        return 'run' in opened ? opened.run.id : opened.active.id;
      },
      funnel: async () => ((await call(asAgent, 'POST', '/v1/funnels', { name: 'Scratch funnel', steps })).funnel as { id: string }).id,
      issue: () => issueIdFor(project, pool.shift() ?? assert.fail('the pool of scratch issues ran out')),
      comment: async () => ((await call(asAgent, 'POST', `/v1/issues/${issue}/comments`, { body: 'scratch' })).comment as { id: string }).id,
      async merged() {
        const [target, source] = [pool.shift(), pool.shift()];
        assert.ok(target && source, 'the pool of scratch issues ran out');
        await call(asAgent, 'POST', `/v1/issues/${issueIdFor(project, target)}/merge`, { source_ids: [issueIdFor(project, source)] });
        return { issue: issueIdFor(project, target), fingerprint: source };
      },
      session: async (cred) => {
        const role = cred.kind === 'session' ? cred.role : 'owner';
        return (await control.db.transaction((tx) => createSession(tx, users[role], {}))).id;
      },
    },
  };
  return world;
}
