import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DomainError } from '@strix/contracts';
import { listAppsForVersionSync, setLatestVersion } from './app-versions.ts';
import { systemActor } from './audit.ts';
import { ControlPlane } from './control-plane.ts';
import { openPglite } from './db.ts';
import { controlSqlDir } from './migrate.ts';
import { createApp, createProject, createTeam, deleteApp, deleteProject, getApp, listApps } from './projects.ts';

const actor = systemActor('test');

// PGlite in memory: the embedded engine, with migration 006 applied by ControlPlane.open.
describe("apps' latest version (control/sql/006)", () => {
  let control: ControlPlane;
  const t0 = Date.UTC(2026, 5, 1, 9);
  before(async () => {
    control = await ControlPlane.open(await openPglite());
    await control.db.transaction(async (tx) => {
      const team = await createTeam(tx, { name: 'Shop' }, actor);
      for (const id of ['shop', 'gone']) await createProject(tx, team.id, { id, name: id }, actor);
      await createApp(tx, 'shop', { id: 'ios', name: 'iOS', platform: 'apple', bundle_id: 'com.example.shop' }, actor);
      await createApp(tx, 'shop', { id: 'api', name: 'API', platform: 'backend' }, actor);
      await createApp(tx, 'shop', { id: 'old', name: 'Old', platform: 'web', bundle_id: 'old.example.com' }, actor);
      await createApp(tx, 'gone', { id: 'gone-web', name: 'Web', platform: 'web', bundle_id: 'gone.example.com' }, actor);
    });
  });
  after(() => control.close());

  const db = () => control.db;
  const latest = async (appId: string) => {
    const app = await getApp(db(), 'shop', appId);
    assert.ok(app, `app ${appId}`);
    return { version: app.latest_app_version, source: app.latest_app_version_source, updated_ms: app.latest_app_version_updated_ms };
  };

  it('is unknown (null) until a sync sets it, on every way apps are read', async () => {
    assert.deepEqual(await latest('ios'), { version: null, source: null, updated_ms: null });
    const listed = await listApps(db(), 'shop');
    assert.ok(listed.every((a) => a.latest_app_version === null && a.latest_app_version_source === null && a.latest_app_version_updated_ms === null));
  });

  it('writes only when the version or its source changes, and says whether it did', async () => {
    assert.equal(await setLatestVersion(db(), 'shop', 'ios', { version: '2.3.0', source: 'app_store', at: t0 }), true);
    assert.deepEqual(await latest('ios'), { version: '2.3.0', source: 'app_store', updated_ms: t0 });

    assert.equal(await setLatestVersion(db(), 'shop', 'ios', { version: '2.3.0', source: 'app_store', at: t0 + 3600_000 }), false);
    assert.deepEqual(await latest('ios'), { version: '2.3.0', source: 'app_store', updated_ms: t0 }, 'an unchanged version keeps the time it was found');

    assert.equal(await setLatestVersion(db(), 'shop', 'ios', { version: '2.3.0', source: 'events', at: t0 + 7200_000 }), true, 'another source is a change');
    assert.deepEqual(await latest('ios'), { version: '2.3.0', source: 'events', updated_ms: t0 + 7200_000 });

    assert.equal(await setLatestVersion(db(), 'shop', 'ios', { version: ' 2.4.0 ', source: 'events', at: t0 + 10_800_000 }), true);
    assert.deepEqual(await latest('ios'), { version: '2.4.0', source: 'events', updated_ms: t0 + 10_800_000 }, 'stored trimmed');
    assert.equal(await setLatestVersion(db(), 'shop', 'ios', { version: '2.4.0', source: 'events', at: t0 + 14_400_000 }), false);
  });

  it('changes no app of another project, no deleted app and no unknown one', async () => {
    assert.equal(await setLatestVersion(db(), 'gone', 'ios', { version: '9.0.0', source: 'events', at: t0 }), false);
    assert.equal(await setLatestVersion(db(), 'shop', 'missing', { version: '9.0.0', source: 'events', at: t0 }), false);
    await db().transaction((tx) => deleteApp(tx, 'shop', 'old', actor));
    assert.equal(await setLatestVersion(db(), 'shop', 'old', { version: '9.0.0', source: 'events', at: t0 }), false);
    assert.equal((await latest('ios')).version, '2.4.0');
  });

  it('refuses a blank or over-long version and a source outside the list, naming the field', async () => {
    const refused = async (update: Parameters<typeof setLatestVersion>[3], message: RegExp) =>
      assert.rejects(setLatestVersion(db(), 'shop', 'api', update), (e: unknown) => e instanceof DomainError && e.kind === 'invalid' && message.test(e.message));
    await refused({ version: '  ', source: 'events', at: t0 }, /^version: must not be empty$/);
    await refused({ version: '1'.repeat(257), source: 'events', at: t0 }, /^version: must be at most 256 characters$/);
    await refused({ version: '1.0', source: 'play_store' as 'events', at: t0 }, /^source: must be one of app_store, events$/);
    // The column's own check holds for writes that bypass the function.
    await assert.rejects(db().query("UPDATE apps SET latest_app_version_source = 'play_store' WHERE id = 'api'"), /check constraint/);
    assert.deepEqual((await getApp(db(), 'shop', 'api'))?.latest_app_version, null);
  });

  it('lists the live apps of live projects for the sync, with what they hold', async () => {
    const before = await listAppsForVersionSync(db());
    assert.deepEqual(
      before.map((a) => a.app_id),
      ['gone-web', 'api', 'ios'],
      'by project, then app; the deleted app left out',
    );
    assert.deepEqual(before.find((a) => a.app_id === 'ios'), {
      project_id: 'shop', app_id: 'ios', platform: 'apple', bundle_id: 'com.example.shop', latest_app_version: '2.4.0', latest_app_version_source: 'events',
    });
    assert.deepEqual(before.find((a) => a.app_id === 'api')?.bundle_id, null);
    await db().transaction((tx) => deleteProject(tx, 'gone', actor));
    assert.deepEqual((await listAppsForVersionSync(db())).map((a) => a.app_id), ['api', 'ios'], "a deleted project's apps are left out");
  });

  it('migration 006 can run again without harm', async () => {
    await db().exec(await readFile(join(controlSqlDir, '006_app_latest_version.sql'), 'utf8'));
    assert.equal((await latest('ios')).version, '2.4.0');
  });
});
