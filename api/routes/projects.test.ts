// Projects, apps and the audit log managed by signed-in people of two teams, through the app as a role serves it, on a PGlite control plane.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hashKey } from '@strix/contracts';
import { createKey } from '@strix/control';
import { message, signedInApp, system, type Caller, type Method, type SignedInApp } from './signed-in-fixture.ts';

const day = 86_400_000;

interface ProjectJson {
  id: string;
  name: string;
  slug: string;
  color: string;
  retention_events_days: number;
  attachment_quota_bytes: number;
}

describe('projects, apps and the audit log for signed-in people', () => {
  let fixture: SignedInApp;
  let as: SignedInApp['as'];
  let teams: SignedInApp['teams'];
  let betaProject = '';

  before(async () => {
    fixture = await signedInApp([
      ['owner@acme.test', 'acme', 'owner'],
      ['admin@acme.test', 'acme', 'admin'],
      ['member@acme.test', 'acme', 'member'],
      ['owner@beta.test', 'beta', 'owner'],
    ]);
    ({ as, teams } = fixture);
    const created = await as['owner@beta.test']!('POST', `/v1/teams/${teams.beta}/projects`, { name: 'Beta app' });
    betaProject = created.json<ProjectJson>().id;
  });

  after(() => fixture.close());

  it('lets members list projects, and only admins and owners create them', async () => {
    const member = as['member@acme.test']!;
    const refused = await member('POST', `/v1/teams/${teams.acme}/projects`, { name: 'Shop' });
    assert.equal(refused.statusCode, 403);
    assert.match(message(refused), /needs the admin role in team .*; yours is member/);

    const shop = await as['admin@acme.test']!('POST', `/v1/teams/${teams.acme}/projects`, { name: 'Web Shop' });
    assert.equal(shop.statusCode, 201);
    const body = shop.json<ProjectJson>();
    assert.equal(body.slug, 'web-shop', 'the slug is made from the name');
    assert.match(body.color, /^#[0-9a-f]{6}$/, 'a colour is picked from the palette');
    assert.equal(body.retention_events_days, 120);

    const chosen = await as['owner@acme.test']!('POST', `/v1/teams/${teams.acme}/projects`, {
      name: 'Mobile', slug: 'mobile-2', color: '#123456', retention_events_days: 30, issue_alert_frequency: 'weekly',
    });
    assert.equal(chosen.statusCode, 201);
    assert.deepEqual(
      (({ slug, color, retention_events_days, issue_alert_frequency }) => ({ slug, color, retention_events_days, issue_alert_frequency }))(chosen.json<ProjectJson & { issue_alert_frequency: string }>()),
      { slug: 'mobile-2', color: '#123456', retention_events_days: 30, issue_alert_frequency: 'weekly' },
    );

    const conflict = await as['admin@acme.test']!('POST', `/v1/teams/${teams.acme}/projects`, { name: 'Other', slug: 'web-shop' });
    assert.equal(conflict.statusCode, 409);
    assert.match(message(conflict), /slug: this team already has a project with slug "web-shop"/);

    const listed = await member('GET', `/v1/teams/${teams.acme}/projects`);
    assert.equal(listed.statusCode, 200);
    assert.deepEqual(listed.json<{ projects: ProjectJson[] }>().projects.map((p) => p.slug), ['mobile-2', 'web-shop']);
    assert.equal((await member('GET', `/v1/projects/${body.id}`)).json<ProjectJson>().name, 'Web Shop');
  });

  it('changes settings for admins, refuses members, and names the field of bad input', async () => {
    const project = (await as['admin@acme.test']!('POST', `/v1/teams/${teams.acme}/projects`, { name: 'Settings' })).json<ProjectJson>();
    const url = `/v1/projects/${project.id}`;
    assert.equal((await as['member@acme.test']!('PATCH', url, { name: 'x' })).statusCode, 403);

    const changed = await as['admin@acme.test']!('PATCH', url, { slug: 'settings-2', retention_metrics_days: 3650, attachment_quota_bytes: 0 });
    assert.equal(changed.statusCode, 200, JSON.stringify(changed.json()));
    assert.equal(changed.json<ProjectJson>().slug, 'settings-2');
    assert.equal(changed.json<ProjectJson>().attachment_quota_bytes, 0);
    assert.equal((await as['admin@acme.test']!('PATCH', url, { slug: 'web-shop' })).statusCode, 409);

    const cases: [Method, string, object | undefined, RegExp][] = [
      ['POST', `/v1/teams/${teams.acme}/projects`, {}, /^body field name: is required$/],
      ['POST', `/v1/teams/${teams.acme}/projects`, { name: 'x', slug: 'Web_Shop' }, /^body field slug: must be lower-case letters and digits/],
      ['POST', `/v1/teams/${teams.acme}/projects`, { name: 'x', slug: 'a--b' }, /^body field slug: must be lower-case/],
      ['POST', `/v1/teams/${teams.acme}/projects`, { name: 'x', slug: 'a'.repeat(49) }, /^body field slug: must be at most 48 characters$/],
      ['POST', `/v1/teams/${teams.acme}/projects`, { name: 'x', attachment_quota_bytes: 5 }, /^body field attachment_quota_bytes: not a known field/],
      ['PATCH', url, { retention_events_days: 0 }, /^body field retention_events_days: must be at least 1 day$/],
      ['PATCH', url, { retention_funnels_days: 3651 }, /^body field retention_funnels_days: must be at most 3650 days$/],
      ['PATCH', url, { attachment_user_quota_bytes: -1 }, /^body field attachment_user_quota_bytes: must be at least 0$/],
      ['PATCH', url, { color: 'blue' }, /^body field color: must be a colour like #4f46e5$/],
      ['PATCH', url, { issue_alert_frequency: 'monthly' }, /^body field issue_alert_frequency: must be one of none, hourly/],
      ['PATCH', url, { team_id: teams.beta }, /^body field team_id: not a known field/],
      ['PATCH', url, {}, /^request body: set at least one of name, slug, color/],
    ];
    for (const [method, path, payload, expected] of cases) {
      const res = await as['admin@acme.test']!(method, path, payload);
      assert.equal(res.statusCode, 400, `${method} ${JSON.stringify(payload)}: ${JSON.stringify(res.json())}`);
      assert.match(message(res), expected);
    }
  });

  it('deletes a project softly: its keys stop at once, it answers when it will be purged, and it can be restored', async () => {
    const project = (await as['admin@acme.test']!('POST', `/v1/teams/${teams.acme}/projects`, { name: 'Doomed' })).json<ProjectJson>();
    const { secret } = await fixture.control.db.transaction((tx) => createKey(tx, project.id, { type: 'agent' }, system));
    await fixture.reloadKeys();
    assert.equal((await fixture.withKey(secret)('GET', '/v1/apps')).statusCode, 200);

    assert.equal((await as['member@acme.test']!('DELETE', `/v1/projects/${project.id}`)).statusCode, 403);
    const deleted = await as['admin@acme.test']!('DELETE', `/v1/projects/${project.id}`);
    assert.equal(deleted.statusCode, 200);
    const { deleted_at, purge_at } = deleted.json<{ deleted_at: string; purge_at: string }>();
    assert.equal(Date.parse(purge_at) - Date.parse(deleted_at), 7 * day);
    assert.ok(Math.abs(Date.parse(deleted_at) - Date.now()) < 60_000);

    assert.ok((await fixture.control.principals()).every((p) => p.projectId !== project.id), 'the key registry no longer loads its keys');
    await fixture.reloadKeys();
    assert.equal((await fixture.withKey(secret)('GET', '/v1/apps')).statusCode, 401, 'the deleted project’s key stopped');
    assert.equal((await as['admin@acme.test']!('GET', `/v1/projects/${project.id}`)).statusCode, 404);
    assert.equal((await as['admin@acme.test']!('DELETE', `/v1/projects/${project.id}`)).statusCode, 404);
    const listed = await as['member@acme.test']!('GET', `/v1/teams/${teams.acme}/projects`);
    assert.ok(!listed.json<{ projects: ProjectJson[] }>().projects.some((p) => p.id === project.id));

    assert.equal((await as['member@acme.test']!('POST', `/v1/projects/${project.id}/restore`)).statusCode, 403);
    assert.equal((await as['owner@beta.test']!('POST', `/v1/projects/${project.id}/restore`)).statusCode, 404);
    const restored = await as['admin@acme.test']!('POST', `/v1/projects/${project.id}/restore`);
    assert.equal(restored.statusCode, 200);
    assert.equal(restored.json<ProjectJson>().name, 'Doomed');
    await fixture.reloadKeys();
    assert.equal((await fixture.withKey(secret)('GET', '/v1/apps')).statusCode, 200, 'its keys work again');
    const again = await as['admin@acme.test']!('POST', `/v1/projects/${project.id}/restore`);
    assert.equal(again.statusCode, 409);
    assert.match(message(again), /is not deleted/);
  });

  it('creates apps with their client key, keeps bundle id and platform, and stops an app’s keys when it is deleted', async () => {
    const project = (await as['admin@acme.test']!('POST', `/v1/teams/${teams.acme}/projects`, { name: 'Apps' })).json<ProjectJson>();
    const apps = `/v1/projects/${project.id}/apps`;
    const admin = as['admin@acme.test']!;
    const refusals: [object, RegExp][] = [
      [{ name: 'iOS', platform: 'apple' }, /^body field bundle_id: is required for apple apps$/],
      [{ name: 'iOS', platform: 'apple', bundle_id: 'shop' }, /^body field bundle_id: must be a reverse-DNS id like com\.example\.shop or a host/],
      [{ name: 'iOS', platform: 'apple', bundle_id: 'com..shop' }, /^body field bundle_id: must be a reverse-DNS id/],
      [{ name: 'iOS', platform: 'apple', bundle_id: `com.${'a'.repeat(252)}` }, /^body field bundle_id: must be at most 255 characters$/],
      [{ name: 'TV', platform: 'tvos', bundle_id: 'com.example.tv' }, /^body field platform: must be one of apple, android, web, backend$/],
      [{ platform: 'web', bundle_id: 'shop.example.com' }, /^body field name: is required$/],
    ];
    for (const [payload, expected] of refusals) {
      const res = await admin('POST', apps, payload);
      assert.equal(res.statusCode, 400, JSON.stringify(payload));
      assert.match(message(res), expected);
    }
    assert.equal((await as['member@acme.test']!('POST', apps, { name: 'API', platform: 'backend' })).statusCode, 403);

    const created = await admin('POST', apps, { name: 'iOS', platform: 'apple', bundle_id: 'com.example.shop' });
    assert.equal(created.statusCode, 201);
    const ios = created.json<{ id: string; platform: string; bundle_id: string; environments: string[]; client_key: { key: string; type: string; app_id: string; permissions: string[]; created_by: string } }>();
    assert.deepEqual(ios.environments, ['ios', 'ipados', 'macos', 'watchos']);
    assert.match(ios.client_key.key, /^strix_client_[0-9a-f]{48}$/);
    assert.equal(ios.client_key.app_id, ios.id);
    assert.deepEqual(ios.client_key.permissions, ['events:write', 'users:write']);
    assert.equal(ios.client_key.created_by, fixture.userIds['admin@acme.test']);
    const key = (await fixture.control.principals()).find((p) => p.keyHash === hashKey(ios.client_key.key));
    assert.equal(key?.platform, 'apple');
    assert.equal(key?.appId, ios.id);
    assert.equal(key?.revoked, false);

    const backend = await admin('POST', apps, { name: 'API', platform: 'backend' });
    assert.equal(backend.statusCode, 201);
    assert.equal(backend.json<{ bundle_id: null }>().bundle_id, null);
    assert.deepEqual(backend.json<{ environments: string[] }>().environments, ['backend']);

    const listed = await as['member@acme.test']!('GET', apps);
    assert.deepEqual(listed.json<{ apps: { name: string }[] }>().apps.map((a) => a.name), ['API', 'iOS']);
    const { secret: agent } = await fixture.control.db.transaction((tx) => createKey(tx, project.id, { type: 'agent' }, system));
    await fixture.reloadKeys();
    const byKey = await fixture.withKey(agent)('GET', '/v1/apps');
    assert.deepEqual(byKey.json(), listed.json(), 'an agent key with apps:read lists its own project’s apps');

    const one = `${apps}/${ios.id}`;
    for (const field of ['bundle_id', 'platform']) {
      const res = await admin('PATCH', one, { name: 'x', [field]: field === 'platform' ? 'web' : 'com.example.other' });
      assert.equal(res.statusCode, 400);
      assert.match(message(res), new RegExp(`^body field ${field}: cannot be changed after the app is created`));
    }
    assert.equal((await as['member@acme.test']!('PATCH', one, { name: 'x' })).statusCode, 403);
    const renamed = await admin('PATCH', one, { name: ' iPhone ' });
    assert.equal(renamed.statusCode, 200);
    assert.deepEqual((({ name, platform, bundle_id }) => ({ name, platform, bundle_id }))(renamed.json<{ name: string; platform: string; bundle_id: string }>()), {
      name: 'iPhone', platform: 'apple', bundle_id: 'com.example.shop',
    });
    assert.equal((await as['member@acme.test']!('GET', one)).json<{ name: string }>().name, 'iPhone');

    assert.equal((await as['member@acme.test']!('DELETE', one)).statusCode, 403);
    assert.equal((await admin('DELETE', one)).statusCode, 204);
    assert.equal((await fixture.control.principals()).find((p) => p.keyHash === hashKey(ios.client_key.key))?.revoked, true, 'the app’s key stopped');
    assert.equal((await admin('GET', one)).statusCode, 404);
    assert.equal((await admin('DELETE', one)).statusCode, 404);
  });

  it('answers another team’s ids as missing ones on every route', async () => {
    const stranger = as['owner@acme.test']!;
    const { id: appId } = (await as['owner@beta.test']!('POST', `/v1/projects/${betaProject}/apps`, { name: 'Web', platform: 'web', bundle_id: 'beta.example.com' })).json<{ id: string }>();
    const routes: [Method, string, object?][] = [
      ['GET', `/v1/teams/${teams.beta}/projects`],
      ['POST', `/v1/teams/${teams.beta}/projects`, { name: 'Intruder' }],
      ['GET', `/v1/projects/${betaProject}`],
      ['PATCH', `/v1/projects/${betaProject}`, { name: 'Mine' }],
      ['DELETE', `/v1/projects/${betaProject}`],
      ['POST', `/v1/projects/${betaProject}/restore`],
      ['GET', `/v1/projects/${betaProject}/apps`],
      ['POST', `/v1/projects/${betaProject}/apps`, { name: 'x', platform: 'backend' }],
      ['GET', `/v1/projects/${betaProject}/apps/${appId}`],
      ['PATCH', `/v1/projects/${betaProject}/apps/${appId}`, { name: 'x' }],
      ['DELETE', `/v1/projects/${betaProject}/apps/${appId}`],
      ['GET', `/v1/audit-log?team_id=${teams.beta}`],
    ];
    for (const [method, url, payload] of routes) {
      const res = await stranger(method, url, payload);
      assert.equal(res.statusCode, 404, `${method} ${url}`);
      assert.match(message(res), /does not exist/);
      assert.equal((await fixture.app.inject({ method, url, ...(payload && { payload }) })).statusCode, 401, `${method} ${url} without credentials`);
    }
    const beta = await as['owner@beta.test']!('GET', `/v1/projects/${betaProject}`);
    assert.equal(beta.json<ProjectJson>().name, 'Beta app', 'nothing changed');
  });

  it('records every change in the audit log with the person’s email, newest first, by pages', async () => {
    const owner = as['owner@acme.test']!;
    const project = (await owner('POST', `/v1/teams/${teams.acme}/projects`, { name: 'Audited' })).json<ProjectJson>();
    await owner('PATCH', `/v1/projects/${project.id}`, { name: 'Audited 2' });
    const { id: appId } = (await owner('POST', `/v1/projects/${project.id}/apps`, { name: 'Web', platform: 'web', bundle_id: 'audited.example.com' })).json<{ id: string }>();
    await owner('PATCH', `/v1/projects/${project.id}/apps/${appId}`, { name: 'Site' });
    await owner('DELETE', `/v1/projects/${project.id}/apps/${appId}`);
    await owner('DELETE', `/v1/projects/${project.id}`);
    await owner('POST', `/v1/projects/${project.id}/restore`);

    type Page = { entries: { action: string; project_id: string; actor: { type: string; label: string }; target_id: string; ip: string }[]; next_cursor: string | null };
    const log = await owner('GET', `/v1/audit-log?team_id=${teams.acme}&project_id=${project.id}`);
    assert.equal(log.statusCode, 200);
    const entries = log.json<Page>().entries;
    assert.deepEqual(entries.map((e) => e.action), ['project.restore', 'project.delete', 'app.delete', 'app.rename', 'key.create', 'app.create', 'project.update', 'project.create']);
    assert.ok(entries.every((e) => e.actor.type === 'user' && e.actor.label === 'owner@acme.test' && e.ip === '127.0.0.1' && e.project_id === project.id));

    const first = (await owner('GET', `/v1/audit-log?team_id=${teams.acme}&project_id=${project.id}&limit=5`)).json<Page>();
    assert.equal(first.entries.length, 5);
    const second = (await owner('GET', `/v1/audit-log?team_id=${teams.acme}&project_id=${project.id}&limit=5&cursor=${first.next_cursor}`)).json<Page>();
    assert.deepEqual([...first.entries, ...second.entries].map((e) => e.action), entries.map((e) => e.action));
    assert.equal(second.next_cursor, null);

    const whole = (await owner('GET', `/v1/audit-log?team_id=${teams.acme}&limit=200`)).json<Page>().entries;
    assert.ok(whole.some((e) => e.action === 'member.role'), 'the team’s own entries too');
    assert.ok(!whole.some((e) => e.project_id === betaProject), 'never another team’s');

    const refusals: [Caller, string, number, RegExp][] = [
      [owner, '/v1/audit-log', 400, /^query parameter team_id: is required with a session/],
      [owner, `/v1/audit-log?team_id=${teams.acme}&limit=0`, 400, /^query parameter limit: must be at least 1$/],
      [owner, `/v1/audit-log?team_id=${teams.acme}&cursor=abc`, 400, /^query parameter cursor: must be a next_cursor/],
      [owner, `/v1/audit-log?team_id=${teams.acme}&project_id=${betaProject}`, 404, /does not exist/],
      [as['member@acme.test']!, `/v1/audit-log?team_id=${teams.acme}`, 403, /needs the admin role/],
    ];
    for (const [caller, url, status, expected] of refusals) {
      const res = await caller('GET', url);
      assert.equal(res.statusCode, status, url);
      assert.match(message(res), expected);
    }
  });

  it('shows an agent key with audit_logs:read its own project’s entries only', async () => {
    const owner = as['owner@acme.test']!;
    const mine = (await owner('POST', `/v1/teams/${teams.acme}/projects`, { name: 'Keyed' })).json<ProjectJson>();
    const other = (await owner('POST', `/v1/teams/${teams.acme}/projects`, { name: 'Sibling' })).json<ProjectJson>();
    const [reader, blind] = await fixture.control.db.transaction(async (tx) => [
      (await createKey(tx, mine.id, { type: 'agent', permissions: ['audit_logs:read'] }, system)).secret,
      (await createKey(tx, mine.id, { type: 'agent' }, system)).secret,
    ]);
    await fixture.reloadKeys();
    const log = await fixture.withKey(reader)('GET', '/v1/audit-log');
    assert.equal(log.statusCode, 200);
    const entries = log.json<{ entries: { project_id: string; action: string }[] }>().entries;
    assert.ok(entries.length >= 3);
    assert.ok(entries.every((e) => e.project_id === mine.id));
    assert.equal((await fixture.withKey(reader)('GET', `/v1/audit-log?project_id=${other.id}`)).statusCode, 404);
    assert.equal((await fixture.withKey(reader)('GET', `/v1/audit-log?team_id=${teams.beta}`)).statusCode, 404);
    const refused = await fixture.withKey(blind)('GET', '/v1/audit-log');
    assert.equal(refused.statusCode, 403);
    assert.match(message(refused), /lacks the "audit_logs:read" permission/);
  });
});
