// The sync's decisions, with the real lookup client against the stand-in store over HTTP. The events and
// the control plane are stood in by plain functions: what they do is proven in warehouse/app-versions.test.ts
// and control/app-versions.test.ts; here the subject is which source each app gets and how failures stay apart.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { startITunesStandin, type ITunesStandin } from '@strix/testkit/itunes-standin';
import type { AppVersionSource } from '@strix/contracts';
import { createITunesClient } from './itunes.ts';
import { syncAppVersions, type AppToSync, type AppVersionSyncDeps } from './sync.ts';

const apps: AppToSync[] = [
  { project_id: 'shop', app_id: 'ios', platform: 'apple', bundle_id: 'com.example.shop' },
  { project_id: 'shop', app_id: 'ios-beta', platform: 'apple', bundle_id: 'com.example.shop.beta' },
  { project_id: 'shop', app_id: 'android', platform: 'android', bundle_id: 'com.example.shop' },
  { project_id: 'shop', app_id: 'api', platform: 'backend', bundle_id: null },
  { project_id: 'blog', app_id: 'web', platform: 'web', bundle_id: 'blog.example.com' },
  { project_id: 'blog', app_id: 'mac', platform: 'apple', bundle_id: 'com.example.blog' },
];

/** Highest production versions by project and app, as the warehouse would answer them. */
const events: Record<string, Record<string, string>> = {
  shop: { ios: '2.4.0', 'ios-beta': '2.5.0-beta.1', android: '2.4.3' },
  blog: { web: '2024.11.02', mac: '1.1' },
};

function harness(store: ITunesStandin, overrides: Partial<AppVersionSyncDeps> = {}) {
  const stored = new Map<string, { version: string; source: AppVersionSource; at: number }>();
  const eventQueries: Array<[string, string[]]> = [];
  let clock = Date.UTC(2026, 11, 1, 10);
  const deps: AppVersionSyncDeps = {
    apps,
    // Wide enough for a first request on a busy machine; the slow case below waits longer than it.
    itunes: createITunesClient({ baseUrl: store.baseUrl, minIntervalMs: 0, timeoutMs: 2_000 }),
    async warehouseLatest(projectId, appIds) {
      eventQueries.push([projectId, [...appIds]]);
      return new Map(appIds.flatMap((id) => (events[projectId]?.[id] ? [[id, { version: events[projectId][id] }] as const] : [])));
    },
    // As control's setLatestVersion: a write only when the version or the source differs.
    async setLatest(projectId, appId, found) {
      const key = `${projectId}/${appId}`;
      const now = stored.get(key);
      if (now && now.version === found.version && now.source === found.source) return false;
      stored.set(key, found);
      return true;
    },
    now: () => (clock += 1000),
    ...overrides,
  };
  return { deps, stored, eventQueries, sourceOf: (key: string) => stored.get(key) && `${stored.get(key)?.version} (${stored.get(key)?.source})` };
}

describe('syncAppVersions', () => {
  let store: ITunesStandin;
  before(async () => {
    store = await startITunesStandin({ apps: [{ bundleId: 'com.example.shop', version: '2.4.1' }] });
  });
  afterEach(() => store.clearFaults());
  after(() => store.close());

  it('takes Apple apps from the App Store, falling back to their events when the store does not list them; others from events', async () => {
    const { deps, sourceOf, eventQueries } = harness(store);
    const summary = await syncAppVersions(deps);
    assert.deepEqual(
      ['shop/ios', 'shop/ios-beta', 'shop/android', 'shop/api', 'blog/web', 'blog/mac'].map(sourceOf),
      ['2.4.1 (app_store)', '2.5.0-beta.1 (events)', '2.4.3 (events)', undefined, '2024.11.02 (events)', '1.1 (events)'],
    );
    assert.deepEqual(summary, {
      checked: 6,
      changed: [
        { project_id: 'shop', app_id: 'ios', version: '2.4.1', source: 'app_store' },
        { project_id: 'shop', app_id: 'ios-beta', version: '2.5.0-beta.1', source: 'events' },
        { project_id: 'shop', app_id: 'android', version: '2.4.3', source: 'events' },
        { project_id: 'blog', app_id: 'web', version: '2024.11.02', source: 'events' },
        { project_id: 'blog', app_id: 'mac', version: '1.1', source: 'events' },
      ],
      unchanged: 0,
      unknown: 1,
      failed: [],
    });
    assert.deepEqual(eventQueries, [['shop', ['ios-beta', 'android', 'api']], ['blog', ['web', 'mac']]], "one events query per project, for the apps the store did not answer");
    assert.deepEqual(store.requests.slice(-3).map((r) => r.bundleId), ['com.example.shop', 'com.example.shop.beta', 'com.example.blog'], 'only Apple apps are looked up');
  });

  it('changes nothing on a second run, and follows a new release and a listing', async () => {
    const { deps, sourceOf } = harness(store);
    await syncAppVersions(deps);
    const again = await syncAppVersions(deps);
    assert.deepEqual([again.changed, again.unchanged, again.unknown, again.failed], [[], 5, 1, []]);

    store.setApp({ bundleId: 'com.example.shop', version: '2.5.0' });
    store.setApp({ bundleId: 'com.example.blog', version: '1.1' });
    const third = await syncAppVersions(deps);
    assert.deepEqual(third.changed, [
      { project_id: 'shop', app_id: 'ios', version: '2.5.0', source: 'app_store' },
      { project_id: 'blog', app_id: 'mac', version: '1.1', source: 'app_store' },
    ], 'the same version from another source is a change');
    assert.equal(sourceOf('blog/mac'), '1.1 (app_store)');
    store.setApp({ bundleId: 'com.example.shop', version: '2.4.1' });
    store.removeApp('com.example.blog');
  });

  it("keeps one app's store failure to that app: the others carry on, its version stays", async () => {
    const { deps, sourceOf } = harness(store);
    await syncAppVersions(deps);
    store.setApp({ bundleId: 'com.example.shop', version: '3.0.0' });
    store.inject({ bundleId: 'com.example.shop', status: 500 });
    const summary = await syncAppVersions(deps);
    assert.deepEqual(summary.failed, [{ project_id: 'shop', app_id: 'ios', reason: 'App Store lookup of com.example.shop: answered HTTP 500' }]);
    assert.equal(summary.checked, summary.changed.length + summary.unchanged + summary.unknown + summary.failed.length);
    assert.equal(sourceOf('shop/ios'), '2.4.1 (app_store)', 'not switched to its events by a passing failure');

    store.clearFaults();
    store.inject({ bundleId: 'com.example.shop', delayMs: 4_000 });
    const slow = await syncAppVersions(deps);
    assert.deepEqual(slow.failed, [{ project_id: 'shop', app_id: 'ios', reason: 'App Store lookup of com.example.shop: no answer within 2000 ms' }]);
    assert.equal(slow.unchanged, 4);
    store.setApp({ bundleId: 'com.example.shop', version: '2.4.1' });
  });

  it('records a failing events query or store write against the apps it concerns', async () => {
    const { deps, sourceOf } = harness(store, {
      async warehouseLatest(projectId) {
        if (projectId === 'shop') throw new Error('warehouse unavailable');
        return new Map([['web', { version: '1.0.0' }]]);
      },
    });
    const setLatest = deps.setLatest;
    deps.setLatest = async (projectId, appId, found) => {
      if (appId === 'web') throw new Error('connection reset');
      return setLatest(projectId, appId, found);
    };
    const summary = await syncAppVersions(deps);
    assert.deepEqual(summary.failed, [
      { project_id: 'shop', app_id: 'ios-beta', reason: 'highest version in the events: warehouse unavailable' },
      { project_id: 'shop', app_id: 'android', reason: 'highest version in the events: warehouse unavailable' },
      { project_id: 'shop', app_id: 'api', reason: 'highest version in the events: warehouse unavailable' },
      { project_id: 'blog', app_id: 'web', reason: 'storing version 1.0.0: connection reset' },
    ]);
    assert.equal(sourceOf('shop/ios'), '2.4.1 (app_store)', 'the store answer is stored although the events failed');
    assert.equal(summary.unknown, 1, 'blog/mac: not in the store, no events version');
  });

  it('checks nothing when there are no apps', async () => {
    const { deps, eventQueries } = harness(store, { apps: [] });
    assert.deepEqual(await syncAppVersions(deps), { checked: 0, changed: [], unchanged: 0, unknown: 0, failed: [] });
    assert.deepEqual(eventQueries, []);
  });
});
