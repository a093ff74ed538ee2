import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { startITunesStandin, type ITunesStandin } from '@strix/testkit/itunes-standin';
import { createITunesClient, isLookupBundleId, type ITunesClientOptions, type StoreLookup } from './itunes.ts';

describe('the App Store lookup client, against the stand-in over HTTP', () => {
  let store: ITunesStandin;
  before(async () => {
    store = await startITunesStandin({
      apps: [
        { bundleId: 'com.example.shop', version: '2.4.1', trackId: 1_303_221_657, releasedAt: '2026-11-20T13:36:18Z' },
        { bundleId: 'de.example.only', version: '1.0', countries: ['de'] },
      ],
    });
  });
  afterEach(() => store.clearFaults());
  after(() => store.close());

  const client = (options: ITunesClientOptions = {}) => createITunesClient({ baseUrl: store.baseUrl, minIntervalMs: 0, timeoutMs: 2_000, ...options });
  const lastRequest = () => store.requests.at(-1);

  it('finds a listed app: its version, store id and release time', async () => {
    assert.deepEqual(await client().lookup('com.example.shop'), {
      kind: 'found', bundleId: 'com.example.shop', version: '2.4.1', trackId: 1_303_221_657, releasedAt: Date.parse('2026-11-20T13:36:18Z'),
    });
    assert.deepEqual(lastRequest(), { at: lastRequest()?.at, path: '/lookup', bundleId: 'com.example.shop', country: 'us', status: 200 });
  });

  it('says "not found" for an app the storefront does not list (resultCount 0)', async () => {
    assert.deepEqual(await client().lookup('com.example.unknown'), { kind: 'not_found' });
    assert.deepEqual(await client().lookup('de.example.only'), { kind: 'not_found' }, 'sold only in Germany');
    const german = await client({ country: 'DE' }).lookup('de.example.only');
    assert.equal(german.kind === 'found' && german.version, '1.0');
    assert.equal(lastRequest()?.country, 'de');
  });

  it('sees a new release on the next lookup', async () => {
    store.setApp({ bundleId: 'com.example.shop', version: '2.5.0' });
    const found = await client().lookup('com.example.shop');
    assert.equal(found.kind === 'found' && `${found.version} ${found.trackId}`, '2.5.0 1303221657');
    store.setApp({ bundleId: 'com.example.shop', version: '2.4.1', trackId: 1_303_221_657, releasedAt: '2026-11-20T13:36:18Z' });
  });

  it('refuses a bundle id outside the allowed form before any request', async () => {
    const before = store.requests.length;
    for (const bad of ['', 'shop', 'com.example.shop&country=de', 'com.example/../x', 'com.example shop', 'com..shop', '.com.shop', `com.${'a'.repeat(252)}`, 'com.exämple.shop']) {
      assert.equal(isLookupBundleId(bad), false, bad);
      const result = await client().lookup(bad);
      assert.equal(result.kind, 'failed', bad);
      assert.match(result.kind === 'failed' ? result.reason : '', /^bundle id ".*": not a reverse-DNS id like com\.example\.shop/);
      assert.equal(result.kind === 'failed' && result.retry, false);
    }
    assert.equal(store.requests.length, before, 'none reached the store');
    assert.equal(isLookupBundleId('com.Example-Shop.ios_app'), true);
  });

  it('reports a 5xx as a failure worth retrying, and a 4xx as one not', async () => {
    store.inject({ status: 500, times: 1 });
    assert.deepEqual(await client().lookup('com.example.shop'), { kind: 'failed', reason: 'App Store lookup of com.example.shop: answered HTTP 500', retry: true });
    store.inject({ status: 404, times: 1 });
    assert.deepEqual(await client().lookup('com.example.shop'), { kind: 'failed', reason: 'App Store lookup of com.example.shop: answered HTTP 404', retry: false });
    assert.equal((await client().lookup('com.example.shop')).kind, 'found', 'the faults were used up');
  });

  it('gives up on a slow answer after its timeout, and waits for one within it', async () => {
    store.inject({ delayMs: 1_000, times: 1 });
    const slow = await client({ timeoutMs: 150 }).lookup('com.example.shop');
    assert.deepEqual(slow, { kind: 'failed', reason: 'App Store lookup of com.example.shop: no answer within 150 ms', retry: true });
    store.inject({ delayMs: 100, times: 1 });
    assert.equal((await client({ timeoutMs: 2_000 }).lookup('com.example.shop')).kind, 'found');
  });

  it('fails clearly on an answer that is not a lookup result', async () => {
    const failure = async (body: string): Promise<StoreLookup> => {
      store.inject({ body, times: 1 });
      return client().lookup('com.example.shop');
    };
    assert.deepEqual(await failure('<html>maintenance</html>'), { kind: 'failed', reason: 'App Store lookup of com.example.shop: the answer is not JSON', retry: true });
    assert.deepEqual(await failure('{"results":[]}'), { kind: 'failed', reason: 'App Store lookup of com.example.shop: the answer has no resultCount and results', retry: false });
    assert.deepEqual(await failure('{"resultCount":1,"results":[{"bundleId":"com.example.shop","trackId":1}]}'), {
      kind: 'failed', reason: "App Store lookup of com.example.shop: the store's result has no version", retry: false,
    });
    assert.deepEqual(await failure('{"resultCount":1,"results":[{"bundleId":"com.other.app","version":"9.9","trackId":1}]}'), { kind: 'not_found' }, 'an answer about another app');
    store.inject({ body: `{"resultCount":0,"results":[],"pad":"${'x'.repeat(4096)}"}`, times: 1 });
    assert.deepEqual(await client({ maxBodyBytes: 1024 }).lookup('com.example.shop'), {
      kind: 'failed', reason: 'App Store lookup of com.example.shop: the answer exceeds 1024 bytes', retry: false,
    });
  });

  it('fails, worth retrying, when nothing listens', async () => {
    const gone = await startITunesStandin();
    const baseUrl = gone.baseUrl;
    await gone.close();
    const result = await createITunesClient({ baseUrl, minIntervalMs: 0, timeoutMs: 2_000 }).lookup('com.example.shop');
    assert.equal(result.kind === 'failed' && result.retry, true);
    assert.match(result.kind === 'failed' ? result.reason : '', /^App Store lookup of com\.example\.shop: request failed \(fetch failed: .*ECONNREFUSED/);
  });

  it('runs its requests one at a time, minIntervalMs apart, even when asked at once', async () => {
    const spaced = client({ minIntervalMs: 150 });
    const first = store.requests.length;
    const results = await Promise.all(['com.example.shop', 'com.example.shop', 'com.example.unknown'].map((id) => spaced.lookup(id)));
    assert.deepEqual(results.map((r) => r.kind), ['found', 'found', 'not_found']);
    const times = store.requests.slice(first).map((r) => r.at);
    for (let i = 1; i < times.length; i++) assert.ok(times[i]! - times[i - 1]! >= 140, `request ${i} came ${times[i]! - times[i - 1]!} ms after the one before`);
  });

  it('refuses a configuration it cannot use, naming the setting', () => {
    assert.throws(() => createITunesClient({ baseUrl: 'itunes.apple.com' }), /^Error: iTunes base URL: must be an http\(s\) URL, got "itunes.apple.com"$/);
    assert.throws(() => createITunesClient({ country: 'usa' }), /^Error: iTunes country: must be a two-letter storefront code like us or de, got "usa"$/);
  });
});
