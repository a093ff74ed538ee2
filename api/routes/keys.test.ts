// API keys managed by a team's signed-in admins and owners: created, listed without secrets, rotated with an overlap and revoked, on a PGlite control plane.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hashKey } from '@strix/contracts';
import { createApp, createKey, createProject } from '@strix/control';
import { message, signedInApp, system, type Method, type SignedInApp } from './signed-in-fixture.ts';

const hour = 3_600_000;

interface KeyJson {
  id: string;
  type: string;
  name: string;
  prefix: string;
  app_id: string | null;
  permissions: string[];
  created_by: string | null;
  expires_at: string | null;
  revoked_at: string | null;
  replaced_by: string | null;
  status: string;
}
type NewKeyJson = KeyJson & { key: string };

describe('API keys for signed-in admins and owners', () => {
  let fixture: SignedInApp;
  let as: SignedInApp['as'];
  const ids = { shop: 'shop', shopApp: 'shop-ios', other: 'other', otherApp: 'other-web' };
  const keysOf = (projectId: string) => `/v1/projects/${projectId}/keys`;
  const principalOf = (secret: string) => fixture.principals().find((p) => p.keyHash === hashKey(secret));

  before(async () => {
    const people = [
      ['owner@shop.test', 'shop', 'owner'],
      ['admin@shop.test', 'shop', 'admin'],
      ['member@shop.test', 'shop', 'member'],
      ['owner@other.test', 'other', 'owner'],
    ] as const;
    fixture = await signedInApp(people, async (tx, teams) => {
      await createProject(tx, teams.shop!, { id: ids.shop, name: 'Shop' }, system);
      await createApp(tx, ids.shop, { id: ids.shopApp, name: 'iOS', platform: 'apple', bundle_id: 'com.example.shop' }, system);
      await createProject(tx, teams.other!, { id: ids.other, name: 'Other' }, system);
      await createApp(tx, ids.other, { id: ids.otherApp, name: 'Web', platform: 'web', bundle_id: 'other.example.com' }, system);
    });
    ({ as } = fixture);
  });

  after(() => fixture.close());

  it('creates a key whose secret is shown once, and lists keys without secrets', async () => {
    const admin = as['admin@shop.test']!;
    const created = await admin('POST', keysOf(ids.shop), { type: 'agent', name: 'CI', permissions: ['events:read', 'apps:read'] });
    assert.equal(created.statusCode, 201);
    const key = created.json<NewKeyJson>();
    assert.match(key.key, /^strix_agent_[0-9a-f]{48}$/);
    assert.equal(key.prefix, key.key.slice(0, 'strix_agent_'.length + 4));
    assert.deepEqual(
      { type: key.type, name: key.name, app_id: key.app_id, permissions: key.permissions, created_by: key.created_by, status: key.status, expires_at: key.expires_at },
      { type: 'agent', name: 'CI', app_id: null, permissions: ['apps:read', 'events:read'], created_by: fixture.userIds['admin@shop.test'], status: 'active', expires_at: null },
    );
    await fixture.reloadKeys();
    assert.equal((await fixture.withKey(key.key)('GET', '/v1/apps')).statusCode, 200, 'the new key works');

    const client = await admin('POST', keysOf(ids.shop), { type: 'client', app_id: ids.shopApp });
    assert.equal(client.statusCode, 201);
    assert.deepEqual(client.json<KeyJson>().permissions, ['events:write', 'users:write'], 'the type’s defaults');
    const expiring = await admin('POST', keysOf(ids.shop), { type: 'import', app_id: ids.shopApp, expires_at: new Date(Date.now() + 48 * hour).toISOString() });
    assert.equal(expiring.json<KeyJson>().status, 'expiring');

    const listed = await admin('GET', keysOf(ids.shop));
    assert.equal(listed.statusCode, 200);
    const keys = listed.json<{ keys: (KeyJson & Record<string, unknown>)[] }>().keys;
    assert.deepEqual(keys.map((k) => k.type), ['import', 'client', 'agent'], 'newest first');
    assert.ok(!listed.body.includes(key.key) && !listed.body.includes(hashKey(key.key)), 'neither a secret nor a hash is listed');
    assert.deepEqual(Object.keys(keys[0]!).sort(), ['app_id', 'created_at', 'created_by', 'expires_at', 'id', 'name', 'permissions', 'prefix', 'replaced_by', 'revoked_at', 'status', 'type']);
  });

  it('refuses bad input with a 400 naming the field, and a permission the type may not carry', async () => {
    const cases: [object | undefined, RegExp][] = [
      [{ type: 'client', app_id: ids.shopApp, permissions: ['events:read'] }, /^body field permissions: "events:read" is not allowed for client keys; allowed: events:write, users:write$/],
      [{ type: 'agent', permissions: ['events:write'] }, /^body field permissions: "events:write" is not allowed for agent keys/],
      [{ type: 'agent', permissions: ['root'] }, /^body field permissions\.0: must be one of events:write/],
      [{ type: 'client' }, /^body field app_id: is required for client keys$/],
      [{ type: 'agent', app_id: ids.shopApp }, /^body field app_id: agent keys belong to the whole project/],
      [{ type: 'admin' }, /^body field type: must be one of client, agent, import$/],
      [undefined, /^body field type: must be one of client, agent, import$/],
      [{ type: 'agent', expires_at: '2001-01-01T00:00:00Z' }, /^body field expires_at: must be in the future$/],
      [{ type: 'agent', expires_at: 'tomorrow' }, /^body field expires_at: must be an ISO-8601 time/],
      [{ type: 'agent', name: 'x'.repeat(201) }, /^body field name: must be at most 200 characters$/],
      [{ type: 'agent', secret: 'mine' }, /^body field secret: not a known field/],
    ];
    for (const [payload, expected] of cases) {
      const res = await as['owner@shop.test']!('POST', keysOf(ids.shop), payload);
      assert.equal(res.statusCode, 400, `${JSON.stringify(payload)}: ${res.body}`);
      assert.match(message(res), expected);
    }
    const foreignApp = await as['owner@shop.test']!('POST', keysOf(ids.shop), { type: 'client', app_id: ids.otherApp });
    assert.equal(foreignApp.statusCode, 404, 'another project’s app is not one of this project');
  });

  it('rotates a key: the old secret keeps working for the overlap, then expires', async () => {
    const admin = as['admin@shop.test']!;
    const old = (await admin('POST', keysOf(ids.shop), { type: 'client', app_id: ids.shopApp, name: 'iOS release' })).json<NewKeyJson>();
    const started = Date.now();
    const rotated = await admin('POST', `${keysOf(ids.shop)}/${old.id}/rotate`, { overlap_hours: 2 });
    assert.equal(rotated.statusCode, 201);
    const fresh = rotated.json<NewKeyJson & { previous_key: KeyJson }>();
    assert.notEqual(fresh.key, old.key);
    assert.deepEqual({ name: fresh.name, app_id: fresh.app_id, permissions: fresh.permissions, status: fresh.status }, { name: 'iOS release', app_id: ids.shopApp, permissions: old.permissions, status: 'active' });
    assert.equal(fresh.previous_key.replaced_by, fresh.id);
    assert.equal(fresh.previous_key.status, 'expiring');
    const ends = Date.parse(fresh.previous_key.expires_at!);
    assert.ok(ends >= started + 2 * hour - 1000 && ends <= Date.now() + 2 * hour + 1000, fresh.previous_key.expires_at!);

    await fixture.reloadKeys();
    const before = principalOf(old.key);
    assert.ok(before && !before.revoked && Math.abs(before.expiresAt! - ends) < 1000, 'the old key is still loaded, expiring at the end of the overlap');
    assert.equal(principalOf(fresh.key)?.expiresAt, null);
    assert.equal(principalOf(fresh.key)?.platform, 'apple');

    const again = await admin('POST', `${keysOf(ids.shop)}/${old.id}/rotate`);
    assert.equal(again.statusCode, 409);
    assert.match(message(again), /was already rotated/);
    const byDefault = (await admin('POST', `${keysOf(ids.shop)}/${fresh.id}/rotate`)).json<{ previous_key: KeyJson }>();
    const hours = (Date.parse(byDefault.previous_key.expires_at!) - Date.now()) / hour;
    assert.ok(hours > 23.9 && hours <= 24, `default overlap is 24 h, got ${hours}`);

    const agent = (await admin('POST', keysOf(ids.shop), { type: 'agent' })).json<NewKeyJson>();
    const now = (await admin('POST', `${keysOf(ids.shop)}/${agent.id}/rotate`, { overlap_hours: 0 })).json<NewKeyJson & { previous_key: KeyJson }>();
    assert.equal(now.previous_key.status, 'expired', 'no overlap: the old key stops at once');
    await fixture.reloadKeys();
    const stopped = await fixture.withKey(agent.key)('GET', '/v1/apps');
    assert.equal(stopped.statusCode, 401);
    assert.match(message(stopped), /expired/);
    assert.equal((await fixture.withKey(now.key)('GET', '/v1/apps')).statusCode, 200);
    const rotatedAway = await admin('POST', `${keysOf(ids.shop)}/${agent.id}/rotate`);
    assert.equal(rotatedAway.statusCode, 409, rotatedAway.body);

    const { key: shortLived } = await fixture.control.db.transaction((tx) => createKey(tx, ids.shop, { type: 'agent', expiresAt: Date.now() + 50 }, system));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const expired = await admin('POST', `${keysOf(ids.shop)}/${shortLived.id}/rotate`);
    assert.equal(expired.statusCode, 409, expired.body);
    assert.match(message(expired), /has expired; create a new one/);

    for (const [payload, expected] of [
      [{ overlap_hours: 721 }, /^body field overlap_hours: must be at most 720$/],
      [{ overlap_hours: -1 }, /^body field overlap_hours: must be at least 0$/],
      [{ overlap_hours: '24' }, /^body field overlap_hours: must be a number$/],
    ] as const) {
      const res = await admin('POST', `${keysOf(ids.shop)}/${fresh.id}/rotate`, payload);
      assert.equal(res.statusCode, 400);
      assert.match(message(res), expected);
    }
    assert.equal((await admin('POST', `${keysOf(ids.shop)}/nope/rotate`)).statusCode, 404);
  });

  it('revokes a key at once; a second revocation or an unknown key is a 404', async () => {
    const admin = as['admin@shop.test']!;
    const key = (await admin('POST', keysOf(ids.shop), { type: 'agent' })).json<NewKeyJson>();
    await fixture.reloadKeys();
    assert.equal((await fixture.withKey(key.key)('GET', '/v1/apps')).statusCode, 200);
    const revoked = await admin('DELETE', `${keysOf(ids.shop)}/${key.id}`);
    assert.equal(revoked.statusCode, 204);
    assert.equal(revoked.body, '');
    await fixture.reloadKeys();
    assert.equal(principalOf(key.key)?.revoked, true);
    const refused = await fixture.withKey(key.key)('GET', '/v1/apps');
    assert.equal(refused.statusCode, 401);
    assert.match(message(refused), /revoked/);
    const listed = (await admin('GET', keysOf(ids.shop))).json<{ keys: KeyJson[] }>().keys.find((k) => k.id === key.id);
    assert.equal(listed?.status, 'revoked');
    assert.ok(listed?.revoked_at);
    assert.equal((await admin('DELETE', `${keysOf(ids.shop)}/${key.id}`)).statusCode, 404);
    assert.equal((await admin('DELETE', `${keysOf(ids.shop)}/unknown`)).statusCode, 404);
    assert.equal((await admin('POST', `${keysOf(ids.shop)}/${key.id}/rotate`)).statusCode, 409);
  });

  it('is for signed-in admins and owners only: keys, members and other teams are refused', async () => {
    const { secret } = await fixture.control.db.transaction((tx) => createKey(tx, ids.shop, { type: 'agent', permissions: ['projects:write', 'apps:write', 'audit_logs:read'] }, system));
    await fixture.reloadKeys();
    const target = (await as['owner@shop.test']!('POST', keysOf(ids.shop), { type: 'agent' })).json<KeyJson>();
    const routes: [Method, string, object?][] = [
      ['GET', keysOf(ids.shop)],
      ['POST', keysOf(ids.shop), { type: 'agent' }],
      ['POST', `${keysOf(ids.shop)}/${target.id}/rotate`],
      ['DELETE', `${keysOf(ids.shop)}/${target.id}`],
    ];
    for (const [method, url, payload] of routes) {
      const byKey = await fixture.withKey(secret)(method, url, payload);
      assert.equal(byKey.statusCode, 403, `${method} ${url} with an agent key`);
      assert.match(message(byKey), /needs a signed-in person; API keys cannot use it/);
      const member = await as['member@shop.test']!(method, url, payload);
      assert.equal(member.statusCode, 403, `${method} ${url} as a member`);
      assert.match(message(member), /needs the admin role/);
      const stranger = await as['owner@other.test']!(method, url, payload);
      assert.equal(stranger.statusCode, 404, `${method} ${url} from another team`);
      assert.match(message(stranger), /^project shop does not exist$/);
      assert.equal((await fixture.app.inject({ method, url, ...(payload && { payload }) })).statusCode, 401, `${method} ${url} without credentials`);
    }
    // A change with the cookie but not the CSRF header (what another site's page could make a browser send).
    const cookieOnly = await fixture.app.inject({ method: 'DELETE', url: `${keysOf(ids.shop)}/${target.id}`, headers: { cookie: 'strix_session=x; strix_csrf=y' } });
    assert.equal(cookieOnly.statusCode, 401);
    const keys = (await as['owner@shop.test']!('GET', keysOf(ids.shop))).json<{ keys: KeyJson[] }>().keys;
    assert.equal(keys.find((k) => k.id === target.id)?.status, 'active', 'nothing was changed');
  });

  it('records key changes in the audit log with the person’s email', async () => {
    const owner = as['owner@shop.test']!;
    const key = (await owner('POST', keysOf(ids.shop), { type: 'agent', name: 'audited' })).json<NewKeyJson>();
    const fresh = (await owner('POST', `${keysOf(ids.shop)}/${key.id}/rotate`)).json<NewKeyJson>();
    await owner('DELETE', `${keysOf(ids.shop)}/${fresh.id}`);
    const teamId = (await fixture.control.db.query<{ team_id: string }>('SELECT team_id FROM projects WHERE id = $1', [ids.shop]))[0]!.team_id;
    type Entry = { action: string; target_id: string; actor: { type: string; id: string; label: string }; details: Record<string, unknown> };
    const entries = (await owner('GET', `/v1/audit-log?team_id=${teamId}&limit=4`)).json<{ entries: Entry[] }>().entries;
    assert.deepEqual(entries.map((e) => [e.action, e.target_id]), [['key.revoke', fresh.id], ['key.rotate', key.id], ['key.create', fresh.id], ['key.create', key.id]]);
    assert.ok(entries.every((e) => e.actor.type === 'user' && e.actor.id === fixture.userIds['owner@shop.test'] && e.actor.label === 'owner@shop.test'));
    assert.equal(entries[3]!.details.prefix, key.prefix);
    assert.ok(!JSON.stringify(entries).includes(key.key), 'secrets never reach the log');
  });
});
