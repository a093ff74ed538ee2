import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventRow } from '@strix/testkit/rows';
import { openStore } from '@strix/testkit/stores';
import { highestVersion, latestProductionAppVersions, productionAppVersions } from './app-versions.ts';
import type { ChdbWarehouse } from './chdb-warehouse.ts';
import type { EventRow } from './events.ts';

const minute = 60_000;
// Within the stores' 90-day retention: older rows expire on insert.
const t0 = Math.floor(Date.now() / minute) * minute - 3 * 3600_000;

describe("an app's highest production version, from the events", () => {
  let wh: ChdbWarehouse;
  let close: () => Promise<void>;
  before(async () => {
    ({ wh, close } = await openStore('shop', 'other'));
    const event = (app_id: string, app_version: string, at: number, fields: Partial<EventRow> = {}) =>
      eventRow({ project_id: 'shop', app_id, app_version, ts: t0 + at * minute, received_at: t0 + at * minute, ...fields });
    await wh.insert('events', [
      // ios: 1.10.0 outranks 1.9.0 although it sorts lower as text and was seen earlier; the dev build 9.0.0 and a release candidate do not count.
      event('ios', '1.9.0', 30),
      event('ios', '1.10.0', 10),
      event('ios', '1.10.0', 12),
      event('ios', '1.10.0-rc.2', 20),
      event('ios', '9.0.0', 40, { is_dev: true }),
      event('ios', '', 50),
      // android: date versions, and a build word whose order against them is unknown.
      event('android', '2024.10.02', 5),
      event('android', '2024.9.30', 6),
      event('android', 'nightly', 7),
      // web: only development events.
      event('web', '3.0.0', 1, { is_dev: true }),
      // Track and metric events carry versions too.
      event('backend', '2.0.0', 1, { kind: 'track' }),
      event('backend', '2.1.0', 2, { kind: 'metric', metric_phase: 'record', metric_value: 1 }),
      eventRow({ project_id: 'other', app_id: 'ios', app_version: '99.0.0', ts: t0, received_at: t0 }),
    ]);
  });
  after(() => close());

  it('aggregates one row per app and version in the engine, production only', async () => {
    const rows = await productionAppVersions(wh, 'shop', { appIds: ['ios'] });
    assert.deepEqual(
      rows.sort((a, b) => a.app_version.localeCompare(b.app_version)),
      [
        { app_id: 'ios', app_version: '1.10.0', last_seen_ms: t0 + 12 * minute },
        { app_id: 'ios', app_version: '1.10.0-rc.2', last_seen_ms: t0 + 20 * minute },
        { app_id: 'ios', app_version: '1.9.0', last_seen_ms: t0 + 30 * minute },
      ],
    );
  });

  it('picks the highest version per app by version order, not text or time', async () => {
    const latest = await latestProductionAppVersions(wh, 'shop');
    assert.deepEqual(Object.fromEntries(latest), {
      ios: { version: '1.10.0', last_seen_ms: t0 + 12 * minute },
      android: { version: '2024.10.02', last_seen_ms: t0 + 5 * minute },
      backend: { version: '2.1.0', last_seen_ms: t0 + 2 * minute },
    });
    assert.equal(latest.has('web'), false, 'an app with development events only has no production version');
  });

  it('keeps to the project, the apps and the window asked for', async () => {
    assert.deepEqual([...(await latestProductionAppVersions(wh, 'other')).entries()], [['ios', { version: '99.0.0', last_seen_ms: t0 }]]);
    assert.deepEqual([...(await latestProductionAppVersions(wh, 'shop', { appIds: ['android', 'missing'] })).keys()], ['android']);
    assert.deepEqual(await latestProductionAppVersions(wh, 'shop', { appIds: [] }), new Map());
    const recent = await latestProductionAppVersions(wh, 'shop', { appIds: ['ios'], sinceMs: t0 + 15 * minute });
    assert.equal(recent.get('ios')?.version, '1.10.0-rc.2', 'within the window, the release candidate of 1.10.0 outranks 1.9.0');
  });
});

describe('highestVersion', () => {
  const seen = (...versions: [string, number][]) => versions.map(([app_version, last_seen_ms]) => ({ app_version, last_seen_ms }));

  it('follows semver precedence and the run-by-run fallback', () => {
    assert.equal(highestVersion(seen(['1.0.0-rc.1', 3], ['1.0.0', 1], ['0.9.9', 2]))?.app_version, '1.0.0');
    assert.equal(highestVersion(seen(['build 45', 2], ['build 123', 1]))?.app_version, 'build 123');
    assert.equal(highestVersion(seen(['1.2.3 (456)', 1], ['1.2.3 (1012)', 2], ['1.2.2 (9999)', 3]))?.app_version, '1.2.3 (1012)');
  });

  it('answers nothing for no versions or blank ones', () => {
    assert.equal(highestVersion([]), undefined);
    assert.equal(highestVersion(seen(['  ', 1])), undefined);
  });

  it('of equal versions keeps the spelling seen last', () => {
    assert.deepEqual(highestVersion(seen(['1.2', 5], ['v1.2.0', 9], ['1.1', 10])), { app_version: 'v1.2.0', last_seen_ms: 9 });
  });

  it('among versions of unknown order, prefers the one known to outrank the most, then the one seen last', () => {
    // "nightly" is newer than nothing known; 2.1.0 outranks two versions.
    assert.equal(highestVersion(seen(['nightly', 100], ['2.1.0', 1], ['2.0.0', 2], ['1.0.0', 3]))?.app_version, '2.1.0');
    // Two words, each outranking nothing: the one seen last.
    assert.equal(highestVersion(seen(['alpha', 1], ['beta', 2]))?.app_version, 'beta');
  });

  it('does not depend on the order the versions come in', () => {
    const versions = seen(['1.9.0', 1], ['1.10.0', 2], ['1.10.0-beta', 3], ['nightly', 4], ['1.2', 5], ['2024.1', 6]);
    const expected = highestVersion(versions);
    assert.equal(expected?.app_version, '2024.1');
    for (let i = 0; i < versions.length; i++) {
      const rotated = [...versions.slice(i), ...versions.slice(0, i)];
      assert.deepEqual(highestVersion(rotated), expected);
      assert.deepEqual(highestVersion(rotated.reverse()), expected);
    }
  });
});
