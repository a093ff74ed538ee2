import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { defaultPermissions } from '@strix/contracts';
import { ProjectService, type ControlPlane } from '@strix/control';
import { principal, queryApp } from '@strix/testkit/apps';
import { openTestControl, seedProjects } from '@strix/testkit/control';
import { openStore } from '@strix/testkit/stores';

describe('project settings and members API', () => {
  let store: Awaited<ReturnType<typeof openStore>>;
  let control: ControlPlane;
  let projects: ProjectService;
  let app: Awaited<ReturnType<typeof queryApp>>;

  before(async () => {
    store = await openStore();
    control = await openTestControl();
    await seedProjects(control, { id: 'p1', name: 'Shop', retention_events_days: 90 });
    projects = new ProjectService(control);
    app = await queryApp(store.wh, [
      principal('admin-key', 'agent', [...defaultPermissions.agent, 'projects:write'], 'p1'),
      principal('agent-key', 'agent', [...defaultPermissions.agent], 'p1'),
      principal('client-key', 'client', ['events:write'], 'p1'),
    ], { control });
  });

  after(async () => {
    await app.close();
    await store.close();
    await control.close();
  });

  const call = (method: 'GET' | 'PATCH' | 'POST' | 'DELETE', url: string, payload?: object, key = 'admin-key') =>
    app.inject({ method, url, headers: { authorization: `Bearer ${key}` }, ...(payload && { payload }) });
  const message = (res: { json: <T>() => T }) => res.json<{ message: string }>().message;

  it('refuses callers without an agent key carrying projects:write to change, projects:read to read', async () => {
    const anonymous = await app.inject({ method: 'GET', url: '/v1/project' });
    assert.equal(anonymous.statusCode, 401);

    const client = await call('GET', '/v1/project', undefined, 'client-key');
    assert.equal(client.statusCode, 403);
    assert.match(message(client), /needs an agent key; a client key was sent/);

    for (const [method, url] of [['PATCH', '/v1/project'], ['POST', '/v1/project/members'], ['DELETE', '/v1/project/members/a%40example.com']] as const) {
      const res = await call(method, url, method === 'PATCH' || method === 'POST' ? { name: 'x' } : undefined, 'agent-key');
      assert.equal(res.statusCode, 403, `${method} ${url}`);
      assert.match(message(res), /lacks the "projects:write" permission/);
    }
    const reader = await call('GET', '/v1/project', undefined, 'agent-key');
    assert.equal(reader.statusCode, 200, 'projects:read is among an agent key’s defaults');
    const noRead = await app.inject({ method: 'GET', url: '/v1/project/members', headers: { authorization: 'Bearer client-key' } });
    assert.equal(noRead.statusCode, 403);
  });

  it('reads and changes the project settings, keeping the rest of the row', async () => {
    type ProjectJson = Record<string, unknown>;
    const settings = (json: ProjectJson) => {
      const { id, name, slug, retention_days, retention_events_days, retention_metrics_days, retention_funnels_days, issue_alert_frequency } = json;
      return { id, name, slug, retention_days, retention_events_days, retention_metrics_days, retention_funnels_days, issue_alert_frequency };
    };
    const read = await call('GET', '/v1/project');
    assert.equal(read.statusCode, 200);
    const initial = {
      id: 'p1', name: 'Shop', slug: 'shop', retention_days: 90, retention_events_days: 90, retention_metrics_days: 365, retention_funnels_days: 365, issue_alert_frequency: 'daily',
    };
    assert.deepEqual(settings(read.json()), initial);
    assert.match(String(read.json<ProjectJson>().color), /^#[0-9a-f]{6}$/);

    const changed = await call('PATCH', '/v1/project', { issue_alert_frequency: 'weekly', retention_metrics_days: 30 });
    assert.equal(changed.statusCode, 200);
    assert.deepEqual(settings(changed.json()), { ...initial, retention_metrics_days: 30, issue_alert_frequency: 'weekly' });

    const renamed = await call('PATCH', '/v1/project', { name: '  Web shop ' });
    assert.deepEqual(settings(renamed.json()), { ...initial, name: 'Web shop', retention_metrics_days: 30, issue_alert_frequency: 'weekly' });
    const stored = await projects.get('p1');
    assert.equal(stored?.name, 'Web shop');
    assert.equal(stored?.slug, 'shop', 'renaming keeps the slug links use');
    assert.equal(stored?.issue_alert_frequency, 'weekly');
  });

  it('answers 400 naming the field for an invalid settings change', async () => {
    const cases: [object | undefined, RegExp][] = [
      [{ issue_alert_frequency: 'monthly' }, /^body field issue_alert_frequency: must be one of none, hourly, 6_hourly, daily, weekly$/],
      [{ name: '' }, /^body field name: must not be empty$/],
      [{ name: 7 }, /^body field name: must be a string$/],
      [{ frequency: 'daily' }, /^body field frequency: not a known field; expected name, color, retention_events_days, retention_metrics_days, retention_funnels_days, issue_alert_frequency$/],
      [{ retention_events_days: 0 }, /^body field retention_events_days: must be at least 1 day$/],
      [{ retention_funnels_days: 3651 }, /^body field retention_funnels_days: must be at most 3650 days$/],
      [{ color: 'red' }, /^body field color: must be a colour like #4f46e5$/],
      [{}, /^request body: set at least one of name, color, retention_events_days, retention_metrics_days, retention_funnels_days, issue_alert_frequency$/],
      [undefined, /^request body: set at least one of name, color, retention_events_days, retention_metrics_days, retention_funnels_days, issue_alert_frequency$/],
    ];
    for (const [payload, expected] of cases) {
      const res = await call('PATCH', '/v1/project', payload);
      assert.equal(res.statusCode, 400, JSON.stringify(payload));
      assert.equal(res.json<{ error: string }>().error, 'bad_request');
      assert.match(message(res), expected);
    }
    assert.equal((await projects.get('p1'))?.issue_alert_frequency, 'weekly', 'nothing was written');
  });

  it('adds members idempotently, lists and removes them', async () => {
    const added = await call('POST', '/v1/project/members', { email: ' Alice@Example.COM ', name: 'Alice' });
    assert.equal(added.statusCode, 201);
    const alice = added.json<{ email: string; name: string; created_at: string }>();
    assert.equal(alice.email, 'alice@example.com');
    assert.equal(alice.name, 'Alice');

    const again = await call('POST', '/v1/project/members', { email: 'alice@example.com' });
    assert.equal(again.statusCode, 200);
    assert.deepEqual(again.json(), alice, 'adding a member again changes nothing');

    assert.equal((await call('POST', '/v1/project/members', { email: 'bob@example.com' })).statusCode, 201);
    const listed = await call('GET', '/v1/project/members');
    assert.equal(listed.statusCode, 200);
    assert.deepEqual(
      listed.json<{ members: { email: string; name: string }[] }>().members.map((m) => [m.email, m.name]),
      [['alice@example.com', 'Alice'], ['bob@example.com', '']],
    );

    const removed = await call('DELETE', '/v1/project/members/Alice%40example.com');
    assert.equal(removed.statusCode, 204);
    assert.equal(removed.body, '');
    const after = await call('GET', '/v1/project/members');
    assert.deepEqual(after.json<{ members: { email: string }[] }>().members.map((m) => m.email), ['bob@example.com']);

    const gone = await call('DELETE', '/v1/project/members/alice%40example.com');
    assert.equal(gone.statusCode, 404);
    assert.match(message(gone), /alice@example\.com is not a member of this project/);

    const back = await call('POST', '/v1/project/members', { email: 'alice@example.com' });
    assert.equal(back.statusCode, 201, 'a removed member can be added again');
    assert.equal(back.json<{ name: string }>().name, '', 'removing a member forgets their name');
  });

  it('answers 400 naming the field for an invalid member', async () => {
    const cases: [string, string, object | undefined, RegExp][] = [
      ['POST', '/v1/project/members', { email: 'not-an-email' }, /^body field email: must be an email address$/],
      ['POST', '/v1/project/members', {}, /^body field email: is required$/],
      ['POST', '/v1/project/members', undefined, /^body field email: is required$/],
      ['POST', '/v1/project/members', { email: 'a@example.com', role: 'owner' }, /^body field role: not a known field; expected email, name$/],
      ['POST', '/v1/project/members', { email: `${'x'.repeat(250)}@example.com` }, /^body field email: must be at most 254 characters$/],
      ['DELETE', '/v1/project/members/nobody', undefined, /^path parameter email: must be an email address$/],
    ];
    for (const [method, url, payload, expected] of cases) {
      const res = await call(method as 'POST' | 'DELETE', url, payload);
      assert.equal(res.statusCode, 400, `${method} ${JSON.stringify(payload)}`);
      assert.match(message(res), expected);
    }
  });
});
