/**
 * The Node SDK against a whole embedded Strix over real HTTP: what it sends is accepted as sent,
 * stored, grouped and read back through the API.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { query, startHarness, type Harness } from '@strix/testkit/harness';
import { fileStorage, init, type StrixClient, type StrixOptions } from './index.ts';

interface EventJson {
  event_id: string;
  name: string;
  level: string;
  message: string;
  kind: string;
  session_id: string;
  user_id: string;
  app_version: string;
  environment: string;
  attributes: Record<string, string>;
  experiments: Record<string, string>;
  screen_name: string;
  fingerprint: string;
}

describe('@strix/sdk in Node against a live Strix', { timeout: 180_000 }, () => {
  let h: Harness;
  let endpoint: string;
  let dir: string;
  const clients: StrixClient[] = [];
  const start = (over: Partial<StrixOptions> = {}) => {
    const client = init({ key: h.credentials.clientKey, endpoint, app_version: '2.1.0', environment: 'production', ...over });
    clients.push(client);
    return client;
  };
  const eventsOf = async (params: string): Promise<EventJson[]> => {
    const res = await query(h, `/v1/events?limit=1000&${params}`);
    assert.equal(res.statusCode, 200, res.body);
    return res.json<{ events: EventJson[] }>().events;
  };
  /** Flushes, checks the server accepted everything, and waits until it is stored. */
  const delivered = async (client: StrixClient) => {
    await client.flush();
    const stats = client.stats();
    assert.equal(stats.rejected, 0, stats.lastError);
    assert.deepEqual(stats.pending, { log: 0, track: 0, metric: 0 }, stats.lastError);
    await h.strix.drained();
  };

  before(async () => {
    h = await startHarness();
    endpoint = await h.strix.app.listen({ port: 0, host: '127.0.0.1' });
    dir = await mkdtemp(join(tmpdir(), 'strix-sdk-'));
  });
  after(async () => {
    for (const client of clients) await client.shutdown();
    await h?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('without a key, every call is a no-op', async () => {
    const client = init({ endpoint });
    assert.equal(client.enabled, false);
    client.track('ignored');
    client.info('ignored');
    client.recordMetric('ignored', 1);
    client.startMetric('ignored').complete();
    assert.equal(client.captureException(new Error('ignored')), undefined);
    assert.equal(client.getVariant('exp', ['control', 'b']), 'control');
    await client.flush();
    assert.equal(client.stats().sent, 0);
  });

  it('sends logs at four levels, product events, metrics and user properties, each accepted and read back', async () => {
    const user = `u-${Date.now()}`;
    const client = start({ user_id: user });
    const variant = client.getVariant('checkout_flow', ['control', 'one_page']);
    client.debug('cache warm', { attributes: { entries: 12 } });
    client.info('signed in', { name: 'sign_in', source_module: 'auth' });
    client.warn('slow response', { attributes: { route: '/cart', ms: 850 } });
    client.error('payment provider returned 500', { source_module: 'billing' });
    client.track('cart.add', { props: { sku: 'A-1', qty: 2, gift: false } });
    client.pageview('/shop/items/8d5c3a4e-1b2c-4d5e-8f90-123456789abc?ref=mail');
    client.recordMetric('cart.size', 5, { unit: 'items', tags: { plan: 'pro' } });
    const upload = client.startMetric('image.upload', { tags: { kind: 'avatar' } });
    await sleep(20);
    upload.complete({ tags: { bytes: 2048 } });
    upload.fail(new Error('ignored: already ended'));
    client.startMetric('image.upload').fail(new Error('disk full'));
    client.startMetric('image.upload').cancel();
    client.identify(user, { $set: { plan: 'pro', seats: 3 }, $set_once: { first_source: 'ad' } });
    await delivered(client);
    assert.equal(client.stats().sent, 14);

    const events = await eventsOf(`user_id=${user}`);
    const byMessage = new Map(events.map((e) => [e.message, e]));
    assert.deepEqual(['cache warm', 'signed in', 'slow response', 'payment provider returned 500'].map((m) => byMessage.get(m)?.level), ['debug', 'info', 'warn', 'error']);
    assert.equal(byMessage.get('signed in')?.name, 'sign_in');
    assert.deepEqual(byMessage.get('slow response')?.attributes, { route: '/cart', ms: '850' });
    const cart = byMessage.get('cart.add');
    assert.equal(cart?.kind, 'track');
    assert.deepEqual(cart?.attributes, { sku: 'A-1', qty: '2', gift: 'false' });
    assert.equal(byMessage.get('$pageview')?.screen_name, '/shop/items', 'the server keeps the section');
    assert.equal(events.filter((e) => e.kind === 'metric').length, 7, 'a record, three starts, three ends');
    for (const e of events) {
      assert.deepEqual(e.experiments, { checkout_flow: variant }, `${e.message} carries the variant`);
      assert.equal(e.app_version, '2.1.0');
      assert.equal(e.environment, 'production');
    }
    assert.equal(new Set(events.map((e) => e.session_id)).size, 1, 'one session');

    const person = await query(h, `/v1/users/${user}`);
    assert.equal(person.statusCode, 200, person.body);
    assert.deepEqual(person.json<{ properties: Record<string, string> }>().properties, { plan: 'pro', seats: '3', first_source: 'ad' });

    const series = await query(h, '/v1/metrics/image.upload?interval=hour');
    assert.equal(series.statusCode, 200, series.body);
    const summary = series.json<{ summary: { starts: number; completes: number; fails: number; cancels: number; duration: { avg: number } | null } }>().summary;
    assert.deepEqual([summary.starts, summary.completes, summary.fails, summary.cancels], [3, 1, 1, 1]);
    assert.ok(summary.duration && summary.duration.avg >= 20, `the measured duration (${summary.duration?.avg} ms) covers the 20 ms waited`);
  });

  it('captures exceptions with frames marked in-app, so Strix groups them by the app’s own code', async () => {
    const client = start();
    const session = `stack-${Date.now()}`;
    class CartStateError extends Error {
      override name = 'CartStateError';
    }
    const loadCart = (id: number) => {
      throw new CartStateError(`cart ${id} has no items`);
    };
    const saveCart = () => {
      throw new CartStateError('cart could not be written');
    };
    const ids: string[] = [];
    for (const fail of [() => loadCart(1), () => loadCart(2), saveCart]) {
      try {
        fail();
      } catch (error) {
        client.identify(session);
        ids.push(client.captureException(error, { attributes: { attempt: ids.length } }) ?? '');
      }
    }
    await delivered(client);
    const scan = await h.strix.app.inject({ method: 'POST', url: '/v1/issues/scan', headers: { authorization: `Bearer ${h.credentials.agentKey}` } });
    assert.equal(scan.statusCode, 200, scan.body);
    const res = await query(h, '/v1/issues?limit=200&q=CartStateError');
    const issues = res.json<{ issues: { id: string; culprit: string; occurrences: number }[] }>().issues;
    const culprits = issues.map((i) => i.culprit).sort();
    assert.deepEqual(culprits, ['loadCart (sdk/sdk.test.ts)', 'saveCart (sdk/sdk.test.ts)'], 'two issues: the two messages of loadCart are one');
    const detail = await query(h, `/v1/issues/${issues.find((i) => i.culprit.startsWith('loadCart'))?.id}`);
    const explanation = detail.json<{ grouping_explanation: { basis: string } }>().grouping_explanation;
    assert.equal(explanation.basis, 'stack');
    const stored = await eventsOf(`user_id=${session}&level=error`);
    assert.deepEqual(new Set(stored.map((e) => e.event_id)), new Set(ids), 'the returned ids are the stored events’ ids');
  });

  it('cuts what exceeds the server’s limits so nothing is refused', async () => {
    const client = start();
    const user = `limits-${Date.now()}`;
    client.identify(user);
    const many = Object.fromEntries(Array.from({ length: 70 }, (_, i) => [`key_${i}_${'k'.repeat(140)}`, 'v'.repeat(3000)]));
    client.error('m'.repeat(20_000) + '\ud800', { attributes: many, name: 'n'.repeat(300), fingerprint: Array.from({ length: 12 }, () => 'f'.repeat(250)) });
    client.track('t'.repeat(300), { props: many, path: `/${'p'.repeat(3000)}` });
    client.recordMetric('r'.repeat(300), 1, { unit: 'u'.repeat(300), tags: many });
    client.identify(user, { $set: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`prop_${i}_${'x'.repeat(60)}`, 'y'.repeat(250)])) });
    await delivered(client);
    assert.equal(client.stats().sent, 5);
    const [error] = await eventsOf(`user_id=${user}&level=error`);
    assert.equal(error?.message.length, 16 * 1024);
    assert.equal(Object.keys(error?.attributes ?? {}).length, 50);
  });

  it('starts a new session after the idle time, and another after reset', async () => {
    const client = start({ sessionIdleMs: 300 });
    const user = `sessions-${Date.now()}`;
    client.identify(user);
    client.track('a');
    client.track('b');
    await sleep(400);
    client.track('c');
    client.reset();
    client.identify(user);
    client.track('d');
    await delivered(client);
    const sessions = new Map((await eventsOf(`user_id=${user}`)).map((e) => [e.message, e.session_id]));
    assert.equal(sessions.get('a'), sessions.get('b'));
    assert.notEqual(sessions.get('b'), sessions.get('c'));
    assert.notEqual(sessions.get('c'), sessions.get('d'));
  });

  it('attaches the recent breadcrumbs, one per track when asked, to the next error', async () => {
    const client = start({ trackBreadcrumbs: true });
    const user = `crumbs-${Date.now()}`;
    client.identify(user);
    client.track('product.viewed');
    client.addBreadcrumb({ category: 'http', message: 'POST /cart 500', data: { status: 500 } });
    client.track('cart.add');
    client.captureException(new Error('checkout failed'));
    await delivered(client);
    const [error] = await eventsOf(`user_id=${user}&level=error`);
    const trail = JSON.parse(error?.attributes.breadcrumbs ?? '[]') as { timestamp: string; category?: string; message: string; data?: unknown }[];
    assert.deepEqual(trail.map((c) => [c.category, c.message]), [['track', 'product.viewed'], ['http', 'POST /cart 500'], ['track', 'cart.add']]);
    assert.deepEqual(trail[1]?.data, { status: 500 }, 'data as JSON, in the names the Sentry route keeps');
    assert.ok(trail.every((c) => !Number.isNaN(Date.parse(c.timestamp))));
  });

  it('keeps a variant once assigned, across restarts with a file storage', async () => {
    const path = join(dir, 'variants.json');
    const first = start({ storage: fileStorage(path) });
    const variant = first.getVariant('pricing', ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']);
    await first.shutdown();
    for (let i = 0; i < 5; i++) {
      const again = start({ storage: fileStorage(path) });
      assert.equal(again.getVariant('pricing', ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']), variant);
      await again.shutdown();
    }
    const changed = start({ storage: fileStorage(path) });
    assert.ok(['x', 'y'].includes(changed.getVariant('pricing', ['x', 'y'])), 'a variant no longer offered is assigned again');
  });

  it('holds events while consent is pending, sends them on grant, and drops them on deny', async () => {
    const path = join(dir, 'consent.json');
    const user = `consent-${Date.now()}`;
    const client = start({ consent: 'pending', user_id: user, storage: fileStorage(path) });
    client.track('before.consent');
    await client.flush();
    await sleep(50);
    assert.equal(client.stats().sent, 0);
    assert.deepEqual(client.stats().pending, { log: 0, track: 1, metric: 0 });
    assert.equal(await readIfAny(path), undefined, 'nothing is written to storage before consent');
    client.setConsent('granted');
    await delivered(client);
    assert.deepEqual((await eventsOf(`user_id=${user}`)).map((e) => e.message), ['before.consent']);

    const denied = start({ consent: 'pending', user_id: `${user}-denied` });
    denied.track('never.sent');
    denied.setConsent('denied');
    denied.track('after.deny');
    await denied.flush();
    assert.deepEqual(denied.stats().pending, { log: 0, track: 0, metric: 0 });
    assert.equal(denied.stats().sent, 0);
    await h.strix.drained();
    assert.deepEqual(await eventsOf(`user_id=${user}-denied`), []);
  });

  it('uploads attachments with an error, from a file and from bytes', async () => {
    const client = start();
    const path = join(dir, 'input.json');
    const json = JSON.stringify({ cart: [1, 2, 3] });
    await writeFile(path, json);
    const id = client.captureException(new Error('import failed'), { attachments: [{ path }, { name: 'dump.bin', data: new Uint8Array([1, 2, 3, 4]) }] });
    await delivered(client);
    assert.equal(client.stats().attachmentsUploaded, 2, client.stats().lastError);
    const res = await query(h, `/v1/attachments?event_id=${id}`);
    const files = res.json<{ attachments: { file_name: string; size: number; status: string; content_type: string }[] }>().attachments;
    assert.deepEqual(files.map((f) => [f.file_name, f.size, f.status, f.content_type]).sort(), [
      ['dump.bin', 4, 'uploaded', 'application/octet-stream'],
      ['input.json', json.length, 'uploaded', 'application/json'],
    ]);
  });

  it('never lets an exception reach the host, whatever it is given', async () => {
    const client = start();
    const hostile = {
      get boom(): string {
        throw new Error('getter');
      },
    };
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const calls: (() => unknown)[] = [
      () => client.track(undefined as unknown as string, { props: cyclic }),
      () => client.track('hostile', hostile as unknown as { props: Record<string, unknown> }),
      () => client.info(Symbol('s') as unknown as string),
      () => client.recordMetric('m', Number.NaN),
      () => client.startMetric(null as unknown as string).complete(),
      () => client.captureException(null),
      () => client.captureException(hostile),
      () => client.identify(42 as unknown as string, { $set: cyclic }),
      () => client.getVariant('e', null as unknown as string[]),
      () => client.setConsent('maybe' as 'granted'),
      () => client.addBreadcrumb(null as unknown as { message: string }),
    ];
    for (const call of calls) assert.doesNotThrow(call);
    await client.flush();
    assert.equal(client.stats().rejected, 0, client.stats().lastError);
  });
});

async function readIfAny(path: string): Promise<string | undefined> {
  const { readFile } = await import('node:fs/promises');
  return readFile(path, 'utf8').catch(() => undefined);
}
