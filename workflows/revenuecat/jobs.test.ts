// The RevenueCat jobs on the embedded scheduler against the RevenueCat stand-in: backfill, sync and the webhook drain, on chDB and PGlite.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { JobName, JobRun, Warehouse } from '@strix/contracts';
import { RevenueCatIntegrations, systemActor, type ControlPlane } from '@strix/control';
import { writeUserProperties } from '@strix/warehouse';
import { maxRequestsInWindow, requestsBeforeRetryAfter, startRevenueCatStandin, type RevenueCatStandin } from '@strix/testkit/revenuecat-standin';
import { openIssueStores } from '@strix/testkit/stores';
import { createActivities } from '../activities.ts';
import { EmbeddedScheduler } from '../embedded-scheduler.ts';
import { webhookEventsKeptMs } from './jobs.ts';
import { isAnonymousId } from './properties.ts';
import { standinExpectation } from './standin-expected.fixture.ts';

const apiKey = 'sk_standin_jobs_5678';
const rcProject = 'proj_jobs';
const projectId = 'shop';
// RevenueCat's 480 a minute shrunk to a second; the client holds itself to half of it, as it does to 240 of 480.
const standinLimit = { requests: 100, windowMs: 1_000 };
const clientLimit = { requestsPerMinute: 50, windowMs: 1_000, backoffBaseMs: 20, backoffMaxMs: 200, timeoutMs: 5_000 };

/** What a customer's properties must be: the mapping of its stand-in state. */
const expected = standinExpectation(rcProject);

/** Every user's rc_* properties as the read API would show them. */
async function rcProperties(wh: Warehouse): Promise<Map<string, Record<string, string>>> {
  const rows = await wh.query<{ user_id: string; key: string; value: string }>(
    `SELECT user_id, key, value FROM user_property_values WHERE project_id = {p:String} AND startsWith(key, 'rc_') ORDER BY user_id, key`,
    { p: projectId },
  );
  const users = new Map<string, Record<string, string>>();
  for (const r of rows) users.set(r.user_id, { ...users.get(r.user_id), [r.key]: r.value });
  return users;
}

describe('RevenueCat jobs on the embedded scheduler', () => {
  let standin: RevenueCatStandin;
  let wh: Warehouse;
  let control: ControlPlane;
  let close: () => Promise<void>;
  let scheduler: EmbeddedScheduler;
  let store: RevenueCatIntegrations;
  const secretKey = randomBytes(32);

  before(async () => {
    standin = await startRevenueCatStandin({ apiKey, projectId: rcProject, customers: 250, seed: 7 });
    ({ wh, control, close } = await openIssueStores(projectId));
    store = new RevenueCatIntegrations(control.db, secretKey);
    await store.put(projectId, { revenuecat_project_id: rcProject, api_key: apiKey }, systemActor('test'), Date.now());
    const activities = createActivities({ warehouse: wh, directory: control, secretKey, revenueCatUrl: standin.url, revenueCatClient: clientLimit });
    scheduler = new EmbeddedScheduler({ runs: control.jobRuns(), activities, jobs: [] });
  });
  after(async () => {
    await scheduler.stop();
    await standin.close();
    await close();
  });
  beforeEach(() => {
    standin.requests.length = 0;
    standin.faults = { limit: standinLimit };
  });

  async function trigger(job: JobName): Promise<{ run: JobRun; outcome: Awaited<ReturnType<EmbeddedScheduler['runTriggered']>> }> {
    const opened = await control.jobRuns().open(
      { id: randomUUID(), job, project_id: projectId, trigger: 'manual', params: {}, triggered_by: null, notify: false, scheduled_at: Date.now() },
      'pending',
      Date.now(),
    );
    assert.ok('run' in opened);
    const outcome = await scheduler.runTriggered(opened.run.id);
    return { run: (await control.jobRuns().get(opened.run.id))!, outcome };
  }

  it('backfills every customer under injected 429s and 5xx, never above the limit in any window, and a re-run changes nothing', { timeout: 120_000 }, async () => {
    standin.faults = { limit: standinLimit, rateLimitEvery: 37, retryAfterSeconds: 1, serverErrorEvery: 23 };
    const { run, outcome } = await trigger('revenuecat_backfill');
    assert.equal(outcome?.status, 'completed', JSON.stringify(outcome));
    assert.equal(run.status, 'completed');
    assert.equal(run.progress.processed, 250);
    assert.deepEqual(run.summary, { customers: 250, usersWritten: standin.customers.filter((c) => !isAnonymousId(c.id)).length });

    const identified = standin.customers.filter((c) => !isAnonymousId(c.id));
    assert.ok(identified.length > 150 && identified.length < 250, 'some customers are known by an anonymous id alone');
    const stored = await rcProperties(wh);
    assert.equal(stored.size, identified.length, 'customers known only by an anonymous id get no properties');
    for (const c of identified) assert.deepEqual(stored.get(c.id), expected(c), c.id);
    assert.ok(new Set(identified.map((c) => stored.get(c.id)?.rc_status)).size >= 6, 'every state is covered');

    const faults = (kind: string) => standin.requests.filter((r) => r.fault === kind).length;
    assert.ok(faults('injected_429') > 0 && faults('injected_5xx') > 0, 'faults were injected');
    assert.equal(faults('rate_limited'), 0, 'the stand-in never had to enforce its own limit');
    assert.deepEqual(requestsBeforeRetryAfter(standin.requests, 100), []);
    assert.ok(maxRequestsInWindow(standin.requests, clientLimit.windowMs) <= clientLimit.requestsPerMinute);
    assert.ok(standin.requests.every((r) => r.path.startsWith('/v2/')), 'v1 (get or create) is never called');

    // Again, without faults: the same values, one per user and key.
    standin.faults = { limit: standinLimit };
    assert.equal((await trigger('revenuecat_backfill')).run.status, 'completed');
    assert.deepEqual(await rcProperties(wh), stored);
    const [{ rows } = { rows: 0 }] = await wh.query<{ rows: number }>(
      `SELECT toUInt32(count()) AS rows FROM user_property_values WHERE project_id = {p:String} AND startsWith(key, 'rc_')`,
      { p: projectId },
    );
    assert.equal(Number(rows), identified.length * 8);
  });

  it("syncs the project's known users with v2 reads alone, writing nothing for users RevenueCat does not know", { timeout: 60_000 }, async () => {
    const known = standin.customers.filter((c) => !isAnonymousId(c.id)).slice(0, 60);
    // A user with a property of their own, and users RevenueCat has never seen: a sync must not create them there.
    await writeUserProperties(wh, projectId, [...known.map((c) => c.id), 'zz_not_a_customer', 'zz_other'].map((userId) => ({ userId, properties: { plan: 'team' }, at: Date.now() })));
    await wh.command(`ALTER TABLE user_properties DELETE WHERE project_id = {p:String} AND startsWith(key, 'rc_') SETTINGS mutations_sync = 2`, { p: projectId });
    const { run } = await trigger('revenuecat_sync');
    assert.equal(run.status, 'completed', run.error);
    assert.deepEqual(run.summary, { users: 62, usersWritten: 60 });
    const stored = await rcProperties(wh);
    assert.deepEqual([...stored.keys()].sort(), known.map((c) => c.id).sort());
    for (const c of known) assert.deepEqual(stored.get(c.id), expected(c), c.id);
    assert.ok(standin.requests.every((r) => r.path.startsWith('/v2/')), 'v1 (get or create) is never called');
    assert.ok(standin.requests.some((r) => r.path.endsWith('/customers/zz_not_a_customer') && r.status === 404));
  });

  it('stops a backfill at its next progress report when cancelled', { timeout: 60_000 }, async () => {
    standin.faults = { limit: standinLimit, delayMs: 30 };
    const opened = await control.jobRuns().open(
      { id: randomUUID(), job: 'revenuecat_backfill', project_id: projectId, trigger: 'manual', params: {}, triggered_by: null, notify: false, scheduled_at: Date.now() },
      'pending',
      Date.now(),
    );
    assert.ok('run' in opened);
    const running = scheduler.runTriggered(opened.run.id);
    while ((await control.jobRuns().get(opened.run.id))?.progress.processed === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    await control.jobRuns().requestCancel(opened.run.id, Date.now());
    assert.equal((await running)?.status, 'cancelled');
    const run = await control.jobRuns().get(opened.run.id);
    assert.equal(run?.status, 'cancelled');
    assert.ok((run?.progress.processed ?? 250) < 250);
  });

  it('processes stored webhook events once each, resolving anonymous ids through the API and surviving a redelivery', { timeout: 60_000 }, async () => {
    const named = standin.customers.find((c) => !isAnonymousId(c.id) && c.aliases.length === 2)!;
    const anonymousOnly = standin.customers.find((c) => isAnonymousId(c.id))!;
    const at = Date.now() + 60_000; // newer than the backfill's writes
    const purchase = {
      api_version: '1.0',
      event: { id: 'evt_purchase', type: 'INITIAL_PURCHASE', app_user_id: named.aliases[0], aliases: named.aliases, event_timestamp_ms: at, product_id: 'strix_yearly', period_type: 'NORMAL', purchased_at_ms: at - 1000, expiration_at_ms: at + 365 * 86_400_000, entitlement_ids: ['pro'], store: 'APP_STORE', environment: 'PRODUCTION' },
    };
    const anonymous = { api_version: '1.0', event: { id: 'evt_anonymous', type: 'RENEWAL', app_user_id: anonymousOnly.id, event_timestamp_ms: at, expiration_at_ms: at + 86_400_000 } };
    const test = { api_version: '1.0', event: { id: 'evt_test', type: 'TEST', app_user_id: 'whoever' } };
    for (const body of [purchase, anonymous, test]) await store.recordWebhookEvent(projectId, { id: body.event.id, type: body.event.type, body }, Date.now());
    assert.deepEqual(await store.recordWebhookEvent(projectId, { id: 'evt_purchase', type: 'INITIAL_PURCHASE', body: purchase }, Date.now()), { stored: false });

    const { run } = await trigger('revenuecat_webhooks');
    assert.equal(run.status, 'completed', run.error);
    assert.deepEqual(run.summary, { processed: 2, ignored: 1, failed: 0, usersWritten: 1, purged: 0 });
    for (const id of ['evt_purchase', 'evt_anonymous', 'evt_test']) assert.equal((await store.webhookEvent(projectId, id))?.status, 'processed', id);
    const stored = (await rcProperties(wh)).get(named.id);
    assert.deepEqual(
      { subscriber: stored?.rc_subscriber, status: stored?.rc_status, product: stored?.rc_product, entitlements: stored?.rc_entitlements, period: stored?.rc_billing_period },
      { subscriber: 'true', status: 'active', product: 'strix_yearly', entitlements: 'pro', period: 'yearly' },
    );
    // The event named only an anonymous id: RevenueCat was asked who it is (a customer with no app user id, so nothing is written).
    assert.ok(standin.requests.some((r) => r.path === `/v2/projects/${rcProject}/customers/${encodeURIComponent(anonymousOnly.id)}/aliases`));
    assert.equal((await rcProperties(wh)).has(anonymousOnly.id), false);

    // A second drain finds nothing; the event stored again after processing would write the same row.
    const again = await trigger('revenuecat_webhooks');
    assert.deepEqual(again.run.summary, { processed: 0, ignored: 0, failed: 0, usersWritten: 0, purged: 0 });

    // Deliveries are kept 30 days after they ended, then purged.
    const long = Date.now() - webhookEventsKeptMs - 60_000;
    await store.recordWebhookEvent(projectId, { id: 'evt_old', type: 'TEST', body: test }, long);
    await store.markWebhookEventProcessed(projectId, 'evt_old', long);
    const purging = await trigger('revenuecat_webhooks');
    assert.equal(purging.run.summary?.purged, 1);
    assert.equal(await store.webhookEvent(projectId, 'evt_old'), undefined);
    assert.equal((await store.webhookEvent(projectId, 'evt_purchase'))?.status, 'processed', 'a recent delivery is kept');
  });
});
