// The RevenueCat integration routes and its webhook, on a PGlite control plane: secrets sealed, shown once, the webhook stored once per event.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Warehouse } from '@strix/contracts';
import { RevenueCatIntegrations, type ControlPlane } from '@strix/control';
import { principal, queryApp } from '@strix/testkit/apps';
import { openTestControl, seedProjects } from '@strix/testkit/control';

// The routes read and write the control plane only.
const unused = new Proxy({}, { get: () => () => Promise.reject(new Error('not used by this test')) }) as Warehouse;
const secretKey = randomBytes(32);
const apiKey = 'sk_live_ABCDEFGH12345678wxyz';
const publicUrl = 'https://strix.example.com';

interface IntegrationJson {
  revenuecat_project_id: string;
  api_key_last4: string;
  webhook_setup: { url: string; authorization: string | null };
  created_at: string;
  updated_at: string;
}

const event = (id: string, over: Record<string, unknown> = {}) => ({
  api_version: '1.0',
  event: { id, type: 'INITIAL_PURCHASE', app_user_id: 'user_1', event_timestamp_ms: 1_760_000_000_000, product_id: 'strix_monthly', period_type: 'NORMAL', ...over },
});

describe('RevenueCat integration routes', () => {
  let control: ControlPlane;
  let app: FastifyInstance;
  const call = (method: 'GET' | 'PUT' | 'DELETE' | 'POST', url: string, key: string, payload?: object) =>
    app.inject({ method, url, headers: { authorization: `Bearer ${key}` }, ...(payload && { payload }) });
  const webhook = (projectId: string, authorization: string | undefined, payload: unknown) =>
    app.inject({ method: 'POST', url: `/v1/webhooks/revenuecat/${projectId}`, headers: { ...(authorization !== undefined && { authorization }), 'content-type': 'application/json' }, payload: JSON.stringify(payload) });

  /** The project's integration as a caller with integrations:write sees it, the webhook authorization included. */
  const linked = async () => {
    const res = await call('GET', '/v1/integrations/revenuecat', 'writer-key');
    assert.equal(res.statusCode, 200, res.body);
    const integration = res.json<IntegrationJson>();
    const { authorization } = integration.webhook_setup;
    assert.ok(authorization !== null);
    return { ...integration, webhook_setup: { ...integration.webhook_setup, authorization } };
  };

  before(async () => {
    control = await openTestControl();
    await seedProjects(control, { id: 'shop', name: 'Shop' }, { id: 'other', name: 'Other' });
    app = await queryApp(
      unused,
      [
        principal('writer-key', 'agent', ['integrations:read', 'integrations:write'], 'shop'),
        principal('reader-key', 'agent', ['integrations:read'], 'shop'),
        principal('other-key', 'agent', ['integrations:read', 'integrations:write'], 'other'),
      ],
      { control, secretKey, publicUrl },
    );
  });
  after(async () => {
    await app.close();
    await control.close();
  });

  it('refuses to link without the fields, naming each', async () => {
    const cases: [object, RegExp][] = [
      [{}, /^body field revenuecat_project_id: is required/],
      [{ revenuecat_project_id: 'proj 1', api_key: apiKey }, /^body field revenuecat_project_id: must be 1 to 100 letters/],
      [{ revenuecat_project_id: 'proj1', api_key: 'appl_publicKey123' }, /^body field api_key: must be a RevenueCat secret API key .*public SDK keys/],
      [{ revenuecat_project_id: 'proj1' }, /^api_key: is required to link a project/],
      [{ revenuecat_project_id: 'proj1', api_key: apiKey, extra: 1 }, /^body field extra: not a known field/],
    ];
    for (const [body, message] of cases) {
      const res = await call('PUT', '/v1/integrations/revenuecat', 'writer-key', body);
      assert.equal(res.statusCode, 400, JSON.stringify(body));
      assert.match(res.json<{ message: string }>().message, message);
    }
    assert.equal((await call('PUT', '/v1/integrations/revenuecat', 'reader-key', { revenuecat_project_id: 'proj1', api_key: apiKey })).statusCode, 403);
    assert.equal((await call('GET', '/v1/integrations/revenuecat', 'writer-key')).statusCode, 404);
  });

  it('links a project, never showing the key again, and keeps the webhook authorization across updates', async () => {
    const created = await call('PUT', '/v1/integrations/revenuecat', 'writer-key', { revenuecat_project_id: 'proj1', api_key: apiKey });
    assert.equal(created.statusCode, 201);
    const first = created.json<IntegrationJson>();
    assert.equal(first.api_key_last4, 'wxyz');
    assert.equal(first.webhook_setup.url, `${publicUrl}/v1/webhooks/revenuecat/shop`);
    assert.match(first.webhook_setup.authorization ?? '', /^Bearer [A-Za-z0-9_-]{43}$/);
    assert.ok(!created.body.includes(apiKey));

    const read = await call('GET', '/v1/integrations/revenuecat', 'reader-key');
    assert.equal(read.statusCode, 200);
    assert.deepEqual(read.json<IntegrationJson>().webhook_setup, { url: first.webhook_setup.url, authorization: null }, 'the secret is for those who may change the link');
    assert.ok(!read.body.includes(apiKey));
    assert.deepEqual((await call('GET', '/v1/integrations/revenuecat', 'writer-key')).json<IntegrationJson>().webhook_setup, first.webhook_setup, 'shown again, unchanged');

    // A new RevenueCat project without a key keeps the key; the webhook secret is never rotated by an update.
    const updated = await call('PUT', '/v1/integrations/revenuecat', 'writer-key', { revenuecat_project_id: 'proj2' });
    assert.equal(updated.statusCode, 200);
    assert.deepEqual({ ...updated.json<IntegrationJson>(), updated_at: '' }, { ...first, revenuecat_project_id: 'proj2', updated_at: '' });

    // At rest the key is sealed; it opens with the master key alone.
    const [row] = await control.db.query<{ api_key_sealed: string; webhook_secret_sealed: string }>('SELECT api_key_sealed, webhook_secret_sealed FROM revenuecat_integrations');
    assert.ok(!JSON.stringify(row).includes(apiKey) && !JSON.stringify(row).includes((first.webhook_setup.authorization ?? '').slice(7)));
    assert.deepEqual(await new RevenueCatIntegrations(control.db, secretKey).link('shop'), { revenuecatProjectId: 'proj2', apiKey });
    await assert.rejects(new RevenueCatIntegrations(control.db, randomBytes(32)).link('shop'), /STRIX_SECRET_KEY differs/);

    const audited = await control.db.query<{ action: string; actor_label: string }>(
      "SELECT action, actor_label FROM audit_log WHERE project_id = 'shop' AND target_type = 'integration' ORDER BY id",
    );
    assert.deepEqual(audited, [{ action: 'integration.created', actor_label: 'writer-k' }, { action: 'integration.updated', actor_label: 'writer-k' }]);
  });

  it('stores a webhook delivery once per event id, answering at once', async () => {
    const { webhook_setup } = await linked();
    const first = await webhook('shop', webhook_setup.authorization, event('evt_1'));
    assert.equal(first.statusCode, 200);
    assert.deepEqual(first.json(), { stored: true });
    const again = await webhook('shop', webhook_setup.authorization, event('evt_1'));
    assert.deepEqual(again.json(), { stored: false });
    await webhook('shop', webhook_setup.authorization, event('evt_2', { type: 'RENEWAL' }));
    const rows = await control.db.query<{ event_id: string; status: string; attempts: number }>('SELECT event_id, status, attempts FROM revenuecat_webhook_events ORDER BY event_id');
    assert.deepEqual(rows, [
      { event_id: 'evt_1', status: 'pending', attempts: 0 },
      { event_id: 'evt_2', status: 'pending', attempts: 0 },
    ]);
  });

  it('answers the same 401 for a wrong header, a missing one and an unknown project, before reading the body', async () => {
    const { webhook_setup } = await linked();
    const refusals = [
      await webhook('shop', `${webhook_setup.authorization}x`, event('evt_3')),
      await webhook('shop', webhook_setup.authorization.toLowerCase(), event('evt_3')),
      await webhook('shop', undefined, event('evt_3')),
      // Another project's header, and a project that is not linked (or does not exist), with a body that is not even valid.
      await webhook('other', webhook_setup.authorization, { nonsense: true }),
      await webhook('no-such-project', webhook_setup.authorization, { nonsense: true }),
    ];
    for (const res of refusals) assert.equal(res.statusCode, 401);
    assert.equal(new Set(refusals.map((r) => r.body)).size, 1);
    assert.equal((await control.db.query("SELECT 1 FROM revenuecat_webhook_events WHERE event_id = 'evt_3'")).length, 0);

    const badId = await webhook('shop;drop', webhook_setup.authorization, event('evt_3'));
    assert.equal(badId.statusCode, 400);
    assert.match(badId.json<{ message: string }>().message, /^path parameter projectId: must be a Strix project id/);
  });

  it('refuses a malformed delivery naming the field', async () => {
    const { webhook_setup } = await linked();
    const cases: [unknown, RegExp][] = [
      [{ api_version: '1.0' }, /^body field event: is required/],
      [event('evt_4', { app_user_id: undefined }), /^body field event\.app_user_id: is required \(only TRANSFER events go without it\)/],
      [event('evt_4', { event_timestamp_ms: 'yesterday' }), /^body field event\.event_timestamp_ms: must be epoch milliseconds/],
      [event(''), /^body field event\.id: is required/],
    ];
    for (const [body, message] of cases) {
      const res = await webhook('shop', webhook_setup.authorization, body);
      assert.equal(res.statusCode, 400);
      assert.match(res.json<{ message: string }>().message, message);
    }
  });

  it('rotates the webhook secret for writers only: the old header is refused at once, the new one works', async () => {
    const before = await linked();
    assert.equal((await call('POST', '/v1/integrations/revenuecat/webhook-secret:rotate', 'reader-key')).statusCode, 403);
    assert.equal((await call('POST', '/v1/integrations/revenuecat/webhook-secret:rotate', 'other-key')).statusCode, 404, "another project's key rotates nothing here");
    const rotated = await call('POST', '/v1/integrations/revenuecat/webhook-secret:rotate', 'writer-key');
    assert.equal(rotated.statusCode, 200, rotated.body);
    const after = rotated.json<IntegrationJson>().webhook_setup;
    assert.match(after.authorization ?? '', /^Bearer [A-Za-z0-9_-]{43}$/);
    assert.notEqual(after.authorization, before.webhook_setup.authorization);
    assert.deepEqual((await linked()).webhook_setup, after);
    assert.equal((await webhook('shop', before.webhook_setup.authorization, event('evt_rotated'))).statusCode, 401);
    assert.equal((await webhook('shop', after.authorization!, event('evt_rotated'))).statusCode, 200);
    const [audited] = await control.db.query<{ action: string }>("SELECT action FROM audit_log WHERE project_id = 'shop' ORDER BY id DESC LIMIT 1");
    assert.equal(audited?.action, 'integration.webhook_secret_rotated');
  });

  it('unlinks a project with its stored events, after which its old header is refused', async () => {
    const { webhook_setup } = await linked();
    assert.equal((await call('DELETE', '/v1/integrations/revenuecat', 'reader-key')).statusCode, 403);
    assert.equal((await call('DELETE', '/v1/integrations/revenuecat', 'writer-key')).statusCode, 204);
    assert.equal((await call('DELETE', '/v1/integrations/revenuecat', 'writer-key')).statusCode, 404);
    assert.equal((await call('GET', '/v1/integrations/revenuecat', 'reader-key')).statusCode, 404);
    assert.equal((await webhook('shop', webhook_setup.authorization, event('evt_5'))).statusCode, 401);
    assert.equal((await control.db.query('SELECT 1 FROM revenuecat_webhook_events')).length, 0);
    // Linked again, the project gets a new webhook secret.
    const relinked = (await call('PUT', '/v1/integrations/revenuecat', 'writer-key', { revenuecat_project_id: 'proj1', api_key: apiKey })).json<IntegrationJson>();
    assert.notEqual(relinked.webhook_setup.authorization, webhook_setup.authorization);
  });
});

describe('webhook event bookkeeping', () => {
  it('keeps a failing event pending until its attempts run out, and fails one that cannot succeed at once', async () => {
    const control = await openTestControl();
    try {
      await seedProjects(control, { id: 'p', name: 'P' });
      const store = new RevenueCatIntegrations(control.db, secretKey);
      await store.recordWebhookEvent('p', { id: 'a', type: 'RENEWAL', body: {} }, 1);
      await store.recordWebhookEvent('p', { id: 'b', type: 'RENEWAL', body: {} }, 2);
      for (let i = 1; i < 10; i++) await store.markWebhookEventFailed('p', 'a', `attempt ${i}`, 10 + i);
      assert.deepEqual((await store.pendingWebhookEvents(10)).map((e) => [e.event_id, e.attempts, e.error]), [['a', 9, 'attempt 9'], ['b', 0, '']]);
      await store.markWebhookEventFailed('p', 'a', 'attempt 10', 20);
      await store.markWebhookEventFailed('p', 'b', 'the key was refused', 21, false);
      assert.deepEqual(await store.pendingWebhookEvents(10), []);
      assert.deepEqual({ ...(await store.webhookEvent('p', 'a')), body: null }, { project_id: 'p', event_id: 'a', event_type: 'RENEWAL', body: null, status: 'failed', attempts: 10, error: 'attempt 10', received_at: 1, processed_at: 20 });
      // A processed event is never marked again.
      await store.recordWebhookEvent('p', { id: 'c', type: 'RENEWAL', body: {} }, 3);
      await store.markWebhookEventProcessed('p', 'c', 30);
      await store.markWebhookEventFailed('p', 'c', 'late', 31);
      assert.equal((await store.webhookEvent('p', 'c'))?.status, 'processed');
    } finally {
      await control.close();
    }
  });
});
