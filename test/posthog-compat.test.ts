// The real posthog-node, unchanged, sending to an embedded Strix by its host; then every body form and compression
// PostHog SDKs use, by hand, and the refusals.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import LZString from 'lz-string';
import { PostHog } from 'posthog-node';
import { listEvents, query, scannedIssues, startHarness, type Harness } from '@strix/testkit/harness';

interface EventJson {
  event_id: string;
  timestamp: string;
  name: string;
  level: string;
  kind: string;
  message: string;
  user_id: string;
  session_id: string;
  screen_name: string;
  attributes: Record<string, string>;
}

interface IssueJson {
  id: string;
  title: string;
  culprit: string;
  exception_type: string;
  occurrences: number;
}

class CartStateError extends Error {
  override name = 'CartStateError';
}

function loadCart(): never {
  throw new CartStateError('cart is not iterable');
}

class WishlistError extends Error {
  override name = 'WishlistError';
}

function loadWishlist(reason: string): never {
  throw new WishlistError(reason);
}

describe('PostHog SDKs send to Strix', () => {
  let h: Harness;
  let host: string;

  before(async () => {
    h = await startHarness();
    await h.strix.app.listen({ port: 0, host: '127.0.0.1' });
    host = `http://127.0.0.1:${(h.strix.app.server.address() as AddressInfo).port}`;
  });
  after(async () => h?.close());

  const events = (filter: string) => listEvents<EventJson>(h, filter);

  const issuesMatching = (text: string) => scannedIssues<IssueJson>(h, text);

  /** A posthog-node client on Strix, collecting every error it reports. */
  function nodeClient() {
    const client = new PostHog(h.credentials.clientKey, { host, flushAt: 100, flushInterval: 60_000 });
    const errors: unknown[] = [];
    client.on('error', (error) => errors.push(error));
    return { client, errors };
  }

  it('stores posthog-node captures, identify with $set/$set_once, a pageview and captureException', async () => {
    const user = `ph-node-${randomUUID()}`;
    const { client, errors } = nodeClient();
    client.capture({ distinctId: user, event: 'plan_chosen', properties: { plan: 'pro', seats: 3, $session_id: 'ph-s1' } });
    client.identify({ distinctId: user, properties: { $set: { plan: 'pro', email: 'ann@example.com' }, $set_once: { first_plan: 'free' } } });
    client.capture({ distinctId: user, event: '$pageview', properties: { $current_url: 'https://shop.example/orders/8812?reset_token=secret', $session_id: 'ph-s1' } });
    try {
      loadCart();
    } catch (error) {
      client.captureException(error, user, { cart_items: 2 });
    }
    await client.shutdown();
    assert.deepEqual(errors, [], 'the SDK saw no error');
    await h.strix.drained();

    const stored = await events(`user_id=${user}`);
    const byName = new Map(stored.map((e) => [e.name, e]));
    assert.deepEqual([...byName.keys()].sort(), ['$exception', '$identify', '$pageview', 'plan_chosen']);
    const chosen = byName.get('plan_chosen')!;
    assert.deepEqual([chosen.kind, chosen.session_id, chosen.attributes.plan, chosen.attributes.seats, chosen.attributes.$lib], ['track', 'ph-s1', 'pro', '3', 'posthog-node']);
    assert.equal(chosen.attributes.$is_server, undefined, 'PostHog bookkeeping is dropped');
    assert.match(chosen.event_id, /^[0-9a-f-]{36}$/, 'the PostHog uuid is the event id');
    const pageview = byName.get('$pageview')!;
    assert.equal(pageview.screen_name, '/orders', 'the pageview is normalized to its section, as /v1/track:batch does');
    assert.equal(pageview.attributes.$current_url, 'https://shop.example/orders/8812', 'the URL keeps no query');
    const error = byName.get('$exception')!;
    assert.deepEqual([error.level, error.message, error.attributes.cart_items], ['error', 'cart is not iterable', '2']);

    const users = await query(h, `/v1/users/${user}`);
    assert.equal(users.statusCode, 200, users.body);
    assert.deepEqual(users.json<{ properties: Record<string, string> }>().properties, { plan: 'pro', email: 'ann@example.com', first_plan: 'free' });

    // $set_once keeps the first value; $set replaces.
    const again = nodeClient();
    again.client.identify({ distinctId: user, properties: { $set: { plan: 'team' }, $set_once: { first_plan: 'team' } } });
    await again.client.shutdown();
    await h.strix.drained();
    const after = (await query(h, `/v1/users/${user}`)).json<{ properties: Record<string, string> }>().properties;
    assert.deepEqual([after.plan, after.first_plan], ['team', 'free']);

    const [issue] = await issuesMatching('CartStateError');
    assert.ok(issue, 'the exception became an issue');
    assert.equal(issue.exception_type, 'CartStateError');
    assert.match(issue.culprit, /loadCart/, `the culprit is the innermost app frame: ${issue.culprit}`);
  });

  it('groups captureException as Strix groups: one issue for the same frames, whatever the message', async () => {
    const { client, errors } = nodeClient();
    for (const [i, reason] of ['wishlist is not loaded', 'storage quota exceeded'].entries()) {
      try {
        loadWishlist(reason);
      } catch (error) {
        client.captureException(error, `ph-group-${i}`);
      }
    }
    await client.shutdown();
    assert.deepEqual(errors, []);
    await h.strix.drained();
    const issues = await issuesMatching('WishlistError');
    assert.deepEqual(issues.map((i) => i.occurrences), [2], JSON.stringify(issues));
  });

  it('answers posthog-node’s /flags with no flag and no error', async () => {
    const { client, errors } = nodeClient();
    const flags = await client.evaluateFlags('ph-flags');
    assert.equal(flags.getFlag('new-checkout'), undefined);
    assert.equal(flags.isEnabled('new-checkout'), false);
    await client.shutdown();
    assert.deepEqual(errors, []);
    const metrics = (await h.strix.app.inject('/metrics')).body;
    assert.match(metrics, /strix_http_requests_total\{route="\/flags\/",status="200"\} [1-9]/, 'the SDK asked Strix');
  });

  const post = (url: string, payload: string | Buffer, headers: Record<string, string> = {}) => h.strix.app.inject({ method: 'POST', url, headers, payload });
  const capture = (name: string, extra: Record<string, unknown> = {}) => ({ event: name, distinct_id: 'ph-hand', properties: { token: h.credentials.clientKey, $session_id: 'ph-hand-s', ...extra } });

  it('accepts every body form and compression, at every capture path with and without its slash', async () => {
    const key = h.credentials.clientKey;
    const json = (name: string) => JSON.stringify({ api_key: key, batch: [capture(name)], sent_at: new Date().toISOString() });
    const form = 'application/x-www-form-urlencoded';
    const base64 = (name: string) => Buffer.from(json(name)).toString('base64');
    const lz = (name: string) => LZString.compressToBase64(json(name));
    const cases: [name: string, url: string, body: string | Buffer, headers: Record<string, string>, status: 1 | 'Ok'][] = [
      ['hand_json', '/batch/', json('hand_json'), { 'content-type': 'application/json' }, 1],
      ['hand_content_encoding', '/batch', gzipSync(json('hand_content_encoding')), { 'content-type': 'application/json', 'content-encoding': 'gzip' }, 1],
      ['hand_gzip_js', '/e/?compression=gzip-js&ip=1&_=1772366400000&ver=1.449.2', gzipSync(json('hand_gzip_js')), { 'content-type': 'text/plain' }, 1],
      ['hand_gzip_unnamed', '/i/v0/e/?ip=0&ver=1.449.2', gzipSync(json('hand_gzip_unnamed')), { 'content-type': 'text/plain' }, 'Ok'],
      ['hand_form_base64', '/i/v0/e?compression=base64', `data=${encodeURIComponent(base64('hand_form_base64'))}`, { 'content-type': form }, 'Ok'],
      ['hand_form_unnamed', '/e', `data=${encodeURIComponent(base64('hand_form_unnamed'))}`, { 'content-type': form }, 1],
      ['hand_form_lz64', '/e/?compression=lz64', `data=${encodeURIComponent(lz('hand_form_lz64'))}`, { 'content-type': form }, 1],
      ['hand_raw_lz64', '/capture?compression=lz64', lz('hand_raw_lz64'), { 'content-type': 'text/plain' }, 1],
      ['hand_raw_base64', '/capture/?compression=base64', base64('hand_raw_base64'), { 'content-type': 'text/plain' }, 1],
      ['hand_beacon', '/e/', JSON.stringify([capture('hand_beacon')]), { 'content-type': 'text/plain;charset=UTF-8' }, 1],
      ['hand_single', '/capture/', JSON.stringify({ api_key: key, ...capture('hand_single') }), { 'content-type': 'application/json' }, 1],
    ];
    for (const [name, url, body, headers, status] of cases) {
      const res = await post(url, body, headers);
      assert.equal(res.statusCode, 200, `${name}: ${res.body}`);
      assert.deepEqual(res.json(), { status }, name);
    }
    await h.strix.drained();
    const stored = await events('user_id=ph-hand');
    assert.deepEqual(stored.map((e) => e.name).sort(), cases.map(([name]) => name).sort());
    assert.ok(stored.every((e) => e.session_id === 'ph-hand-s'));
  });

  it('takes a capture sent by GET in the data query parameter (base64 or lz64), as image pixels do, and names a bad one', async () => {
    const json = (name: string) => JSON.stringify({ api_key: h.credentials.clientKey, ...capture(name) });
    const get = (url: string) => h.strix.app.inject({ method: 'GET', url });
    const sent = [
      await get(`/e/?data=${encodeURIComponent(Buffer.from(json('hand_get_base64')).toString('base64'))}`),
      await get(`/capture?compression=lz64&data=${encodeURIComponent(LZString.compressToBase64(json('hand_get_lz64')))}`),
      await get(`/i/v0/e/?data=${encodeURIComponent(json('hand_get_json'))}`),
    ];
    assert.deepEqual(sent.map((r): unknown[] => [r.statusCode, r.json<unknown>()]), [[200, { status: 1 }], [200, { status: 1 }], [200, { status: 'Ok' }]]);
    const gzip = await get('/e/?compression=gzip-js&data=H4sI');
    assert.deepEqual([gzip.statusCode, gzip.json<{ message: string }>().message], [400, 'query parameter compression: gzip-js cannot travel in a URL; send it as a POST body']);
    const garbled = await get('/e/?compression=base64&data=bm90IGpzb24');
    assert.equal(garbled.statusCode, 400);
    assert.match(garbled.json<{ message: string }>().message, /^query parameter data is not valid JSON \(after base64 decoding\)/);
    assert.equal((await get('/e/')).statusCode, 400, 'data is required');
    await h.strix.drained();
    assert.deepEqual((await events('user_id=ph-hand')).map((e) => e.name).filter((n) => n.startsWith('hand_get')).sort(), ['hand_get_base64', 'hand_get_json', 'hand_get_lz64']);
  });

  it('stores a redelivered event once (its uuid), and answers the events it refused beside the ones it stored', async () => {
    const uuid = randomUUID();
    const body = JSON.stringify({ api_key: h.credentials.clientKey, batch: [{ ...capture('hand_redelivered'), uuid }] });
    for (let i = 0; i < 2; i++) assert.equal((await post('/batch/', body, { 'content-type': 'application/json' })).statusCode, 200);
    const partial = await post('/batch/', JSON.stringify({ api_key: h.credentials.clientKey, batch: [capture('hand_partial'), { ...capture('x'), event: 'x'.repeat(201) }] }), { 'content-type': 'application/json' });
    assert.equal(partial.statusCode, 200, partial.body);
    assert.deepEqual(partial.json(), { status: 1, errors: [{ index: 1, message: 'batch[1].event: must be at most 200 characters' }] });
    await h.strix.drained();
    assert.deepEqual((await events('name=hand_redelivered')).map((e) => e.event_id), [uuid]);
    assert.equal((await events('name=hand_partial')).length, 1);
  });

  it('refuses a wrong key and a missing one (401, naming api_key), bombs and oversized batches (413), and bad events (400)', async () => {
    const json = { 'content-type': 'application/json' };
    const wrong = await post('/batch/', JSON.stringify({ api_key: 'strix_client_000000000000000000000000000000000000000000000000', batch: [{ event: 'x' }] }), json);
    assert.deepEqual([wrong.statusCode, wrong.json()], [401, { error: 'unauthorized', message: 'unknown API key' }]);
    const missing = await post('/e/', JSON.stringify([{ event: 'x', properties: {} }]), json);
    assert.deepEqual([missing.statusCode, missing.json()], [401, { error: 'unauthorized', message: 'missing API key: send the project API key as api_key' }]);
    const agent = await post('/batch/', JSON.stringify({ api_key: h.credentials.agentKey, batch: [{ event: 'x' }] }), json);
    assert.equal(agent.statusCode, 403, agent.body);

    const pad = 'a'.repeat(2 * 1024 * 1024);
    const bomb = gzipSync(JSON.stringify({ api_key: h.credentials.clientKey, batch: [{ event: 'x', properties: { pad } }] }));
    assert.ok(bomb.length < 10_000);
    const gz = await post('/e/?compression=gzip-js', bomb, { 'content-type': 'text/plain' });
    assert.deepEqual([gz.statusCode, gz.json()], [413, { error: 'payload_too_large', message: 'request body exceeds the limit of 1048576 bytes (after decompression)' }]);
    const lz = await post('/e/?compression=lz64', LZString.compressToBase64(`{"pad":"${'a'.repeat(1_100_000)}"}`), { 'content-type': 'text/plain' });
    assert.equal(lz.statusCode, 413, lz.body);

    const many = await post('/batch/', JSON.stringify({ api_key: h.credentials.clientKey, batch: Array.from({ length: 101 }, () => capture('x')) }), json);
    assert.deepEqual([many.statusCode, many.json<{ message: string }>().message], [413, 'batch: at most 100 events per request, 101 sent']);
    const invalid = await post('/batch/', JSON.stringify({ api_key: h.credentials.clientKey, batch: [{ properties: {} }, { event: 'x', properties: { $set: { plan: 'pro' } }, distinct_id: 'u'.repeat(200) }] }), json);
    assert.deepEqual([invalid.statusCode, invalid.json()], [
      400,
      { error: 'bad_request', message: 'no event accepted: batch[0].event: is required; batch[1].distinct_id: must be at most 128 characters' },
    ]);
    const broken = await post('/batch/', '{"api_key":', json);
    assert.equal(broken.statusCode, 400, broken.body);
  });

  it('answers /flags, /decide and /array/<key>/config with no flags and a configuration that turns the rest off', async () => {
    const key = h.credentials.clientKey;
    for (const url of ['/flags/?v=2&config=true', '/flags?v=4', '/decide/?v=3']) {
      const res = await post(url, JSON.stringify({ token: key, distinct_id: 'u' }), { 'content-type': 'application/json' });
      assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
      const answer = res.json<Record<string, unknown>>();
      assert.deepEqual([answer.flags, answer.featureFlags, answer.errorsWhileComputingFlags, answer.sessionRecording], [{}, {}, false, false], url);
    }
    const gzipped = await post('/flags/?v=2', gzipSync(JSON.stringify({ token: key })), { 'content-type': 'text/plain' });
    assert.equal(gzipped.statusCode, 200, gzipped.body);
    const noToken = await post('/flags/?v=2', JSON.stringify({ distinct_id: 'u' }), { 'content-type': 'application/json' });
    assert.deepEqual([noToken.statusCode, noToken.json<{ message: string }>().message], [401, 'missing API key: send the project API key as token']);

    const config = await h.strix.app.inject({ url: `/array/${key}/config` });
    assert.equal(config.statusCode, 200, config.body);
    assert.deepEqual([config.json<Record<string, unknown>>().hasFeatureFlags, config.json<Record<string, unknown>>().supportedCompression], [false, ['gzip-js', 'gzip', 'base64']]);
    const script = await h.strix.app.inject({ url: `/array/${key}/config.js` });
    assert.equal(script.statusCode, 200, script.body);
    assert.match(String(script.headers['content-type']), /^application\/javascript/);
    assert.ok(script.body.includes(`window._POSTHOG_REMOTE_CONFIG[${JSON.stringify(key)}] = {"config":{"supportedCompression"`), script.body);
    assert.equal((await h.strix.app.inject({ url: '/array/strix_client_nope/config' })).statusCode, 401);
  });
});
