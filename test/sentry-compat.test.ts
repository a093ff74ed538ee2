// The real @sentry/node, unchanged, reporting to an embedded Strix by its DSN; then Sentry's protocols by hand.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { deflateSync, gzipSync } from 'node:zlib';
import * as Sentry from '@sentry/node';
import { listEvents, query, scannedIssues, startHarness, type Harness } from '@strix/testkit/harness';

interface EventJson {
  event_id: string;
  level: string;
  message: string;
  user_id: string;
  app_version: string;
  build_number: string;
  environment: string;
  os_version: string;
  fingerprint: string;
  attributes: Record<string, string>;
}

interface IssueJson {
  id: string;
  culprit: string;
  exception_type: string;
  occurrences: number;
}

interface GroupingComponent {
  name: string;
  contributes: boolean;
  values: string[];
}

class CheckoutError extends Error {
  override name = 'CheckoutError';
}
class PaymentDeclined extends Error {
  override name = 'PaymentDeclined';
}

function chargeCard(): never {
  throw new CheckoutError('card declined by issuer');
}
function authorizePayment(): never {
  throw new PaymentDeclined('declined by the bank');
}
function capturePayment(): never {
  throw new PaymentDeclined('declined by the bank');
}

const seconds = () => Date.now() / 1000;
const eventId = () => randomUUID().replaceAll('-', '');

/** A Sentry envelope: the header, then each item's header and JSON payload on their own lines. */
function envelope(header: object, items: [object, object | string][]): Buffer {
  const lines = [JSON.stringify(header), ...items.flatMap(([h, p]) => [JSON.stringify(h), typeof p === 'string' ? p : JSON.stringify(p)])];
  return Buffer.from(`${lines.join('\n')}\n`);
}

describe('Sentry SDKs report to Strix', { timeout: 180_000 }, () => {
  let h: Harness;
  let clientKey: string;

  before(async () => {
    h = await startHarness();
    clientKey = h.credentials.clientKey;
    await h.strix.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = h.strix.app.server.address() as AddressInfo;
    // The DSN's project (4505) means nothing to Strix: the key decides the project.
    Sentry.init({ dsn: `http://${clientKey}@127.0.0.1:${port}/4505`, release: 'shop@2.4.1+311', environment: 'staging' });
  });

  after(async () => {
    await Sentry.close(5_000);
    await h?.close();
  });

  const send = (url: string, body: Buffer, headers: Record<string, string>) => h.strix.app.inject({ method: 'POST', url, headers, payload: body });
  const sentryAuth = (key = clientKey) => ({ 'x-sentry-auth': `Sentry sentry_key=${key}, sentry_version=7, sentry_client=hand/1.0` });

  const eventsOf = (userId: string) => listEvents<EventJson>(h, `user_id=${encodeURIComponent(userId)}`);

  const issuesMatching = (text: string) => scannedIssues<IssueJson>(h, text);

  it('stores @sentry/node errors and messages with their stack, user, tags, breadcrumbs, release and environment', async () => {
    Sentry.withScope((scope) => {
      scope.setUser({ id: 'sentry-buyer', email: 'ann@example.com' });
      scope.setTag('checkout_step', 'payment');
      Sentry.addBreadcrumb({ category: 'cart', message: 'added sku-1', level: 'info' });
      try {
        chargeCard();
      } catch (error) {
        Sentry.captureException(error);
      }
      Sentry.captureMessage('inventory low for sku-1', 'warning');
    });
    assert.equal(await Sentry.flush(10_000), true, 'the SDK delivered everything');
    await h.strix.drained();

    const events = await eventsOf('sentry-buyer');
    const error = events.find((e) => e.level === 'error');
    const message = events.find((e) => e.level === 'warn');
    assert.equal(events.length, 2, JSON.stringify(events));
    assert.ok(error && message);
    assert.match(error.event_id, /^[0-9a-f]{32}$/, 'Sentry’s event_id is the event’s id');
    assert.deepEqual(
      [error.message, error.app_version, error.build_number, error.environment],
      ['card declined by issuer', '2.4.1', '311', 'staging'],
    );
    assert.ok(error.os_version !== '', 'the OS context is the os_version');
    const attributes = error.attributes;
    assert.deepEqual([attributes.checkout_step, attributes['user.email'], attributes.handled, attributes.mechanism], ['payment', 'ann@example.com', 'true', 'generic']);
    assert.match(attributes.sdk ?? '', /^sentry\.javascript\.node\/\d+\./);
    assert.ok((JSON.parse(attributes.breadcrumbs ?? '[]') as { message?: string }[]).some((b) => b.message === 'added sku-1'), attributes.breadcrumbs);
    assert.deepEqual([message.message, message.app_version, message.attributes.checkout_step], ['inventory low for sku-1', '2.4.1', 'payment']);

    const [issue, ...others] = await issuesMatching('CheckoutError');
    assert.ok(issue);
    assert.deepEqual(others, []);
    assert.deepEqual([issue.exception_type, issue.occurrences], ['CheckoutError', 1]);
    assert.match(issue.culprit, /chargeCard/, 'the innermost in-app frame names the issue');
    const detail = await query(h, `/v1/issues/${issue.id}`);
    const explanation = detail.json<{ grouping_explanation: { basis: string; components: GroupingComponent[] } }>().grouping_explanation;
    assert.equal(explanation.basis, 'stack');
    const inApp = explanation.components.find((c) => c.name === 'in_app_frames');
    assert.ok(inApp?.contributes && inApp.values.some((v) => v.includes('chargeCard')), JSON.stringify(explanation.components));
    assert.ok(!inApp.values.some((v) => v.includes('node:') || v.includes('@sentry')), 'runtime and library frames are not the app’s');
    const system = explanation.components.find((c) => c.name === 'system_frames');
    assert.ok(system && !system.contributes && system.values.some((v) => v.includes('task_queues')), 'the SDK’s in_app: false frames are kept, not grouped by');
  });

  it('groups as Strix groups: the same error from one place is one issue, from another place a second', async () => {
    // Sentry's Dedupe integration drops an event equal to the one before it, so the two places alternate.
    Sentry.withScope((scope) => {
      scope.setUser({ id: 'sentry-grouping' });
      for (const pay of [authorizePayment, capturePayment, authorizePayment]) {
        try {
          pay();
        } catch (error) {
          Sentry.captureException(error);
        }
      }
    });
    assert.equal(await Sentry.flush(10_000), true);
    await h.strix.drained();
    const events = await eventsOf('sentry-grouping');
    assert.equal(events.length, 3);
    const issues = await issuesMatching('PaymentDeclined');
    assert.equal(issues.length, 2, JSON.stringify(issues));
    // Errors per place: each issue's fingerprint, and how many of the user's errors carry it.
    const byPlace: Record<string, number> = {};
    for (const issue of issues) {
      const detail = (await query(h, `/v1/issues/${issue.id}`)).json<{ fingerprints: { fingerprint: string }[] }>();
      const fingerprints = new Set(detail.fingerprints.map((f) => f.fingerprint));
      const place = /authorizePayment|capturePayment/.exec(issue.culprit)?.[0] ?? issue.culprit;
      byPlace[place] = events.filter((e) => fingerprints.has(e.fingerprint)).length;
    }
    assert.deepEqual(byPlace, { authorizePayment: 2, capturePayment: 1 });
  });

  it('takes a gzip envelope by hand, with the key in X-Sentry-Auth, and stores a redelivered one once', async () => {
    const id = eventId();
    const body = gzipSync(
      envelope({ event_id: id, sent_at: new Date().toISOString() }, [
        [
          { type: 'event', content_type: 'application/json' },
          {
            level: 'error',
            timestamp: seconds(),
            platform: 'python',
            release: 'backend@7.0.0',
            environment: 'production',
            user: { id: 'hand-gzip', username: 'bob' },
            tags: { region: 'eu-west' },
            exception: { values: [{ type: 'KeyError', value: "'sku'", stacktrace: { frames: [{ function: 'load_cart', module: 'shop.cart', filename: 'shop/cart.py', lineno: 12, in_app: true }] } }] },
          },
        ],
      ]),
    );
    const headers = { ...sentryAuth(), 'content-type': 'application/x-sentry-envelope', 'content-encoding': 'gzip' };
    for (const url of ['/api/1/envelope/', '/api/1/envelope']) {
      const res = await send(url, body, headers);
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json(), { id }, 'Sentry’s answer: the event id');
    }
    await h.strix.drained();
    const events = await eventsOf('hand-gzip');
    assert.equal(events.length, 1, 'the envelope was delivered twice and is stored once');
    assert.deepEqual(
      [events[0]?.event_id, events[0]?.message, events[0]?.app_version, events[0]?.environment, events[0]?.attributes.region, events[0]?.attributes['user.username']],
      [id, "'sku'", '7.0.0', 'production', 'eu-west', 'bob'],
    );
  });

  it('takes an event at the store endpoint, deflated, with the key in the query', async () => {
    const id = eventId();
    const event = { event_id: id, level: 'fatal', message: { formatted: 'worker crashed: out of memory' }, user: { id: 'hand-store' }, tags: [['queue', 'emails']], release: '3.1.0', timestamp: new Date().toISOString() };
    const res = await send(`/api/77/store?sentry_version=7&sentry_key=${clientKey}`, deflateSync(JSON.stringify(event)), { 'content-type': 'application/json', 'content-encoding': 'deflate' });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), { id });
    await h.strix.drained();
    const [stored, ...rest] = await eventsOf('hand-store');
    assert.deepEqual(rest, []);
    assert.deepEqual([stored?.level, stored?.message, stored?.app_version, stored?.attributes.queue], ['error', 'worker crashed: out of memory', '3.1.0', 'emails']);
  });

  it('accepts what Strix does not keep (sessions, transactions, replays, attachments…) and stores none of it', async () => {
    const before = (await query(h, '/v1/events?limit=1000')).json<{ events: unknown[] }>().events.length;
    const user = { id: 'dropped-user' };
    const recording = randomBytes(64);
    const body = Buffer.concat([
      envelope({ event_id: eventId(), sent_at: new Date().toISOString() }, [
        [{ type: 'session' }, { sid: eventId(), status: 'ok', did: 'dropped-user', started: new Date().toISOString() }],
        [{ type: 'sessions' }, { aggregates: [{ started: new Date().toISOString(), exited: 3 }] }],
        [{ type: 'transaction' }, { type: 'transaction', transaction: 'GET /cart', user, timestamp: seconds(), start_timestamp: seconds() - 1 }],
        [{ type: 'replay_event' }, { type: 'replay_event', replay_id: eventId(), user }],
        [{ type: 'client_report' }, { discarded_events: [{ reason: 'queue_overflow', category: 'error', quantity: 1 }] }],
        [{ type: 'profile' }, { version: '1', user }],
        [{ type: 'check_in' }, { check_in_id: eventId(), monitor_slug: 'nightly', status: 'ok' }],
        [{ type: 'span' }, { span_id: 'a1b2c3d4e5f60718' }],
        [{ type: 'log' }, { items: [{ level: 'info', body: 'hello' }] }],
        [{ type: 'a_type_from_the_future' }, { user }],
      ]),
      Buffer.from(`{"type":"replay_recording","length":${recording.length}}\n`),
      recording,
      Buffer.from('\n{"type":"attachment","length":5,"filename":"a.txt"}\nhello\n'),
    ]);
    const res = await send(`/api/1/envelope/?sentry_key=${clientKey}`, body, { 'content-type': 'text/plain;charset=UTF-8' });
    assert.equal(res.statusCode, 200, res.body);
    const transaction = await send(`/api/1/store/?sentry_key=${clientKey}`, Buffer.from(JSON.stringify({ type: 'transaction', user })), { 'content-type': 'application/json' });
    assert.equal(transaction.statusCode, 200, transaction.body);
    await h.strix.drained();
    assert.deepEqual(await eventsOf('dropped-user'), []);
    assert.equal((await query(h, '/v1/events?limit=1000')).json<{ events: unknown[] }>().events.length, before);
  });

  it('refuses a wrong key (401), another kind of key (403), a bad event naming the Sentry field (400), and other content types (415)', async () => {
    const event = envelope({}, [[{ type: 'event' }, { message: 'x', user: { id: 'refused-user' } }]]);
    const unknown = `strix_client_${randomBytes(24).toString('hex')}`;
    for (const headers of [sentryAuth(unknown), {}]) {
      const res = await send('/api/1/envelope/', event, headers);
      assert.equal(res.statusCode, 401, res.body);
    }
    assert.equal((await send(`/api/1/envelope/?sentry_key=${unknown}`, event, {})).statusCode, 401);
    assert.equal((await send(`/api/1/store/?sentry_key=${unknown}`, Buffer.from('{}'), {})).statusCode, 401);
    const agent = await send('/api/1/envelope/', event, sentryAuth(h.credentials.agentKey));
    assert.equal(agent.statusCode, 403, agent.body);

    const bad = await send('/api/1/envelope/', envelope({}, [[{ type: 'event' }, { message: 'x', release: `shop@${'9'.repeat(300)}` }]]), sentryAuth());
    assert.equal(bad.statusCode, 400);
    assert.deepEqual(bad.json(), { error: 'bad_request', message: 'envelope item 1: release: must be at most 256 characters' });
    const wrongType = await send('/api/1/store/', Buffer.from(JSON.stringify({ exception: { values: [{ type: 7 }] } })), sentryAuth());
    assert.equal(wrongType.json<{ message: string }>().message, 'exception.values[0].type: Invalid input: expected string, received number');
    const broken = await send('/api/1/envelope/', Buffer.from('{}\n{"type":"event"}\n{not json'), sentryAuth());
    assert.deepEqual([broken.statusCode, broken.json<{ message: string }>().message], [400, 'envelope item 1: not valid JSON']);
    // Browser SDKs post from the app's own origin: a preflight and every answer let the page through.
    const preflight = await h.strix.app.inject({
      method: 'OPTIONS',
      url: `/api/1/envelope/?sentry_key=${clientKey}`,
      headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    assert.deepEqual([preflight.statusCode, preflight.headers['access-control-allow-origin']], [204, '*']);
    assert.equal(bad.headers['access-control-allow-origin'], '*');
    const image = await send('/api/1/envelope/', event, { ...sentryAuth(), 'content-type': 'image/png' });
    assert.equal(image.statusCode, 415, image.body);
    await h.strix.drained();
    assert.deepEqual(await eventsOf('refused-user'), []);
  });
});
