/**
 * What the control plane must do on every engine it runs on, as a suite each
 * engine's test file runs: `controlPlaneContract('PGlite', open)`. `open`
 * returns a fresh, empty store each call. Assertions go through the functions
 * of `control/` and plain SQL only, so the same suite proves PGlite (embedded)
 * and a PostgreSQL server (distributed) alike. Every test makes its own team,
 * so tests share one store without seeing each other's rows.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ControlPlane } from './control-plane.ts';
import { currentRevision, listAuditLog } from './audit.ts';
import type { ControlDb } from './db.ts';
import { createKey, getKey, listKeys, loadPrincipals, revokeKey, rotateKey } from './keys.ts';
import { describeSavedFunnelsContract } from './funnels-contract.ts';
import { describeIssueStateContract } from './issue-state-contract.ts';
import { describeKeysContract } from './keys-contract.ts';
import { controlSqlDir, migrateControl } from './migrate.ts';
import {
  createApp,
  createProject,
  createTeam,
  deleteApp,
  deleteProject,
  getProject,
  listApps,
  listTeamProjects,
  projectPalette,
  renameApp,
  restoreProject,
  updateProject,
} from './projects.ts';
import { addDigestRecipient, listDigestRecipients, removeDigestRecipient } from './recipients.ts';
import { actor, domainError, unique } from './contract-fixture.ts';

export function controlPlaneContract(name: string, open: () => Promise<ControlDb>): void {
  describe(`control plane contract: ${name}`, { timeout: 180_000 }, () => {
    let db: ControlDb;
    before(async () => {
      db = await open();
      await migrateControl(db);
    });
    after(() => db?.close());

    describe('migrations', () => {
      it('applies each migration once when two callers migrate a fresh store at once, and nothing after', async () => {
        const fresh = await open();
        try {
          const files = (await readdir(controlSqlDir)).filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f)).sort();
          // On a server the pool gives each caller its own connection: the advisory lock is what keeps them apart.
          const [first, second] = await Promise.all([migrateControl(fresh), migrateControl(fresh)]);
          assert.deepEqual([...first, ...second].sort(), files);
          const recorded = await fresh.query<{ name: string }>('SELECT name FROM control_migrations ORDER BY version');
          assert.deepEqual(recorded.map((r) => r.name), files);
          assert.deepEqual(await migrateControl(fresh), []);
          assert.equal(await currentRevision(fresh), 1);
        } finally {
          await fresh.close();
        }
      });

      it('leaves nothing of a migration that fails half way', async () => {
        const dir = await mkdtemp(join(tmpdir(), 'strix-control-sql-'));
        try {
          for (const f of await readdir(controlSqlDir)) await copyFile(join(controlSqlDir, f), join(dir, f));
          await writeFile(join(dir, '999_broken_probe.sql'), 'CREATE TABLE broken_probe (a int);\nSELECT 1 / 0;\n');
          await assert.rejects(migrateControl(db, dir), /division by zero/);
          const [probe] = await db.query<{ exists: boolean }>("SELECT to_regclass('broken_probe') IS NOT NULL AS exists");
          assert.equal(probe?.exists, false);
          assert.deepEqual(await db.query('SELECT 1 FROM control_migrations WHERE version = 999'), []);
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      });
    });

    describe('teams and projects', () => {
      it('derives a team slug from its name, suffixed when taken; an explicit taken slug is a conflict', async () => {
        const name = unique('Acme Corp');
        const first = await db.transaction((tx) => createTeam(tx, { name }, actor));
        const second = await db.transaction((tx) => createTeam(tx, { name }, actor));
        assert.equal(first.slug, name.toLowerCase().replace(/ /g, '-'));
        assert.equal(second.slug, `${first.slug}-2`);
        await domainError(db.transaction((tx) => createTeam(tx, { name: 'Other', slug: first.slug }, actor)), 'conflict', /^slug:/);
        // On a server these are three connections: each must see the slugs the others took.
        const racing = unique('Racing');
        const raced = await Promise.all([1, 2, 3].map(() => db.transaction((tx) => createTeam(tx, { name: racing }, actor))));
        assert.deepEqual(new Set(raced.map((t) => t.slug)).size, 3);
      });

      it('keeps project slugs unique among a team’s live projects, and frees a deleted project’s slug', async () => {
        const team = await db.transaction((tx) => createTeam(tx, { name: unique('Team') }, actor));
        const other = await db.transaction((tx) => createTeam(tx, { name: unique('Team') }, actor));
        const shop = await db.transaction((tx) => createProject(tx, team.id, { name: 'Web Shop' }, actor));
        const again = await db.transaction((tx) => createProject(tx, team.id, { name: 'Web Shop' }, actor));
        assert.deepEqual([shop.slug, again.slug], ['web-shop', 'web-shop-2']);
        const raced = await Promise.all([1, 2, 3].map(() => db.transaction((tx) => createProject(tx, team.id, { name: 'Web Shop' }, actor))));
        assert.deepEqual(raced.map((p) => p.slug).sort(), ['web-shop-3', 'web-shop-4', 'web-shop-5'], 'creates at once still get one slug each');
        await domainError(db.transaction((tx) => createProject(tx, team.id, { name: 'Shop', slug: 'web-shop' }, actor)), 'conflict', /^slug:/);
        await domainError(db.transaction((tx) => updateProject(tx, again.id, { slug: 'web-shop' }, actor)), 'conflict', /^slug:/);
        const elsewhere = await db.transaction((tx) => createProject(tx, other.id, { name: 'Shop', slug: 'web-shop' }, actor));
        assert.equal(elsewhere.slug, 'web-shop', 'slugs are unique per team only');

        assert.equal(await db.transaction((tx) => deleteProject(tx, shop.id, actor)), true);
        const reused = await db.transaction((tx) => createProject(tx, team.id, { name: 'New Shop', slug: 'web-shop' }, actor));
        assert.equal(reused.slug, 'web-shop');
        await domainError(db.transaction((tx) => restoreProject(tx, shop.id, actor)), 'conflict', /^slug:/);
      });

      it('picks colours from the palette in turn and keeps an explicit one', async () => {
        const team = await db.transaction((tx) => createTeam(tx, { name: unique('Team') }, actor));
        const colours: string[] = [];
        for (const name of ['One', 'Two']) colours.push((await db.transaction((tx) => createProject(tx, team.id, { name }, actor))).color);
        const chosen = await db.transaction((tx) => createProject(tx, team.id, { name: 'Three', color: '#123456' }, actor));
        assert.deepEqual(colours, projectPalette.slice(0, 2));
        assert.equal(chosen.color, '#123456');
      });

      it('defaults retention to 120/365/365 days and refuses values outside 1–3650', async () => {
        const team = await db.transaction((tx) => createTeam(tx, { name: unique('Team') }, actor));
        const project = await db.transaction((tx) => createProject(tx, team.id, { name: 'Defaults' }, actor));
        assert.deepEqual(
          [project.retention_events_days, project.retention_metrics_days, project.retention_funnels_days, project.issue_alert_frequency],
          [120, 365, 365, 'daily'],
        );
        await assert.rejects(db.transaction((tx) => createProject(tx, team.id, { name: 'Zero', retention_events_days: 0 }, actor)), /check constraint/);
        await assert.rejects(db.transaction((tx) => createProject(tx, team.id, { name: 'Long', retention_funnels_days: 3651 }, actor)), /check constraint/);
        await assert.rejects(db.transaction((tx) => updateProject(tx, project.id, { retention_metrics_days: 3651 }, actor)), /check constraint/);
        const bounds = await db.transaction((tx) => createProject(tx, team.id, { name: 'Bounds', retention_events_days: 1, retention_metrics_days: 3650 }, actor));
        assert.deepEqual([bounds.retention_events_days, bounds.retention_metrics_days], [1, 3650]);
        assert.equal((await getProject(db, project.id))?.retention_metrics_days, 365, 'the refused update changed nothing');
        assert.deepEqual((await listTeamProjects(db, team.id)).map((p) => p.name), ['Bounds', 'Defaults']);
      });

      it('requires a bundle id for every app but backend ones', async () => {
        const team = await db.transaction((tx) => createTeam(tx, { name: unique('Team') }, actor));
        const project = await db.transaction((tx) => createProject(tx, team.id, { name: 'Apps' }, actor));
        for (const platform of ['apple', 'android', 'web'] as const) {
          await domainError(db.transaction((tx) => createApp(tx, project.id, { name: platform, platform }, actor)), 'invalid', /^bundle_id:/);
        }
        const backend = await db.transaction((tx) => createApp(tx, project.id, { name: 'API', platform: 'backend' }, actor));
        const ios = await db.transaction((tx) => createApp(tx, project.id, { name: 'iOS', platform: 'apple', bundle_id: 'com.example.shop' }, actor));
        assert.equal(backend.bundle_id, null);
        assert.deepEqual([ios.platform, ios.bundle_id], ['apple', 'com.example.shop']);
        assert.deepEqual((await listApps(db, project.id)).map((a) => a.name), ['API', 'iOS']);
        await domainError(db.transaction((tx) => createApp(tx, 'no-such-project', { name: 'x', platform: 'backend' }, actor)), 'not_found', /no-such-project/);
      });
    });

    describeKeysContract(() => db);
    describeSavedFunnelsContract(() => db);
    describeIssueStateContract(() => db);

    describe('audit log and revision', () => {
      it('moves the revision on every change to projects, apps and keys, and never on a read', async () => {
        const team = await db.transaction((tx) => createTeam(tx, { name: unique('Team') }, actor));
        let last = await currentRevision(db);
        const moves = async (what: string, change: () => Promise<unknown>) => {
          await change();
          const now = await currentRevision(db);
          assert.ok(now > last, `${what} moves the revision`);
          last = now;
        };
        let projectId = '';
        let appId = '';
        let keyId = '';
        await moves('creating a project', async () => (projectId = (await db.transaction((tx) => createProject(tx, team.id, { name: 'Rev' }, actor))).id));
        await moves('creating an app', async () => (appId = (await db.transaction((tx) => createApp(tx, projectId, { name: 'API', platform: 'backend' }, actor))).id));
        await moves('renaming an app', () => db.transaction((tx) => renameApp(tx, projectId, appId, 'Backend', actor)));
        await moves('creating a key', async () => (keyId = (await db.transaction((tx) => createKey(tx, projectId, { type: 'client', appId }, actor))).key.id));
        await moves('rotating a key', async () => (keyId = (await db.transaction((tx) => rotateKey(tx, projectId, keyId, 1000, actor))).key.id));
        await moves('revoking a key', () => db.transaction((tx) => revokeKey(tx, projectId, keyId, actor)));
        await moves('changing a project', () => db.transaction((tx) => updateProject(tx, projectId, { retention_events_days: 30 }, actor)));
        await moves('deleting an app', () => db.transaction((tx) => deleteApp(tx, projectId, appId, actor)));
        await moves('deleting a project', () => db.transaction((tx) => deleteProject(tx, projectId, actor)));
        await moves('restoring a project', () => db.transaction((tx) => restoreProject(tx, projectId, actor)));

        const control = await ControlPlane.open(db);
        await getProject(db, projectId);
        await listTeamProjects(db, team.id);
        await listApps(db, projectId);
        await listKeys(db, projectId);
        await getKey(db, projectId, keyId);
        await loadPrincipals(db);
        await control.principals();
        await control.listProjects();
        await control.appNames(projectId);
        await listAuditLog(db, team.id, { limit: 10 });
        assert.equal(await control.revision(), last, 'reads leave the revision where it was');
      });

      it('records each change with its actor, newest first, page by page, one team at a time', async () => {
        const team = await db.transaction((tx) => createTeam(tx, { name: unique('Team') }, actor));
        const project = await db.transaction((tx) => createProject(tx, team.id, { name: 'Audited' }, actor));
        const app = await db.transaction((tx) => createApp(tx, project.id, { name: 'API', platform: 'backend' }, actor));
        await db.transaction((tx) => createKey(tx, project.id, { type: 'client', appId: app.id }, actor));
        const entries = await listAuditLog(db, team.id, { limit: 100 });
        assert.deepEqual(entries.map((e) => e.action), ['key.create', 'app.create', 'project.create', 'team.create']);
        for (const e of entries) {
          assert.deepEqual([e.team_id, e.actor_type, e.actor_id, e.actor_label, e.ip], [team.id, 'user', actor.id, actor.label, actor.ip]);
          assert.ok(Math.abs(e.created_ms - Date.now()) < 60_000);
        }
        assert.deepEqual([entries[1]?.target_type, entries[1]?.target_id], ['app', app.id]);
        const page = await listAuditLog(db, team.id, { limit: 2, before: entries[1]?.id });
        assert.deepEqual(page.map((e) => e.action), ['project.create', 'team.create']);
        assert.deepEqual((await listAuditLog(db, team.id, { limit: 100, projectId: project.id })).map((e) => e.action), ['key.create', 'app.create', 'project.create']);
      });

      it('refuses to change or delete an audit entry', async () => {
        const team = await db.transaction((tx) => createTeam(tx, { name: unique('Team') }, actor));
        const [entry] = await listAuditLog(db, team.id, { limit: 1 });
        assert.ok(entry);
        await assert.rejects(db.query("UPDATE audit_log SET action = 'forged' WHERE id = $1", [entry.id]), /append-only/);
        await assert.rejects(db.query('DELETE FROM audit_log WHERE id = $1', [entry.id]), /append-only/);
        assert.deepEqual(await listAuditLog(db, team.id, { limit: 10 }), [entry]);
      });
    });

    describe('transactions', () => {
      it('keeps nothing of a transaction that throws', async () => {
        const team = await db.transaction((tx) => createTeam(tx, { name: unique('Team') }, actor));
        const project = await db.transaction((tx) => createProject(tx, team.id, { name: 'Rollback' }, actor));
        const revision = await currentRevision(db);
        let created: { id: string; secret: string } | undefined;
        await assert.rejects(
          db.transaction(async (tx) => {
            const { key, secret } = await createKey(tx, project.id, { type: 'agent' }, actor);
            created = { id: key.id, secret };
            throw new Error('boom');
          }),
          /boom/,
        );
        assert.ok(created, 'the key was made inside the transaction');
        assert.equal(await getKey(db, project.id, created.id), undefined);
        assert.deepEqual(await db.query('SELECT id FROM audit_log WHERE target_id = $1', [created.id]), []);
        assert.equal(await currentRevision(db), revision);

        // A refusal half way (the app made, then the key refused) undoes the app too.
        await domainError(
          db.transaction(async (tx) => {
            const app = await createApp(tx, project.id, { name: 'Half', platform: 'backend' }, actor);
            return createKey(tx, project.id, { type: 'client', appId: app.id, permissions: ['events:read'] }, actor);
          }),
          'invalid',
          /events:read/,
        );
        assert.deepEqual(await listApps(db, project.id), []);
        assert.equal(await currentRevision(db), revision);
      });
    });

    describe('digest recipients', () => {
      it('adds idempotently, renames in place, removes once, and audits each change', async () => {
        const team = await db.transaction((tx) => createTeam(tx, { name: unique('Team') }, actor));
        const project = await db.transaction((tx) => createProject(tx, team.id, { name: 'Digests' }, actor));
        const add = (r: { email: string; name?: string; since?: number }) => db.transaction((tx) => addDigestRecipient(tx, team.id, project.id, r, actor));
        const since = Date.now() - 86_400_000;
        const first = await add({ email: 'ada@example.com', name: 'Ada', since });
        assert.equal(first.created, true);
        assert.equal(first.recipient.created_at, since);
        assert.deepEqual(await add({ email: 'ada@example.com' }), { recipient: first.recipient, created: false });
        assert.deepEqual(await add({ email: 'ada@example.com', name: 'Ada' }), { recipient: first.recipient, created: false });
        const renamed = await add({ email: 'ada@example.com', name: 'Ada L.' });
        assert.deepEqual(renamed, { recipient: { ...first.recipient, name: 'Ada L.' }, created: false });
        const raced = await Promise.all([1, 2, 3].map(() => add({ email: 'bob@example.com' })));
        assert.deepEqual(raced.map((r) => r.created).sort(), [false, false, true], 'adds at once create one recipient');
        const control = await ControlPlane.open(db);
        assert.deepEqual((await control.digestRecipients(project.id)).map((r) => [r.email, r.name]), [
          ['ada@example.com', 'Ada L.'],
          ['bob@example.com', ''],
        ]);
        const remove = (email: string) => db.transaction((tx) => removeDigestRecipient(tx, team.id, project.id, email, actor));
        assert.equal(await remove('ada@example.com'), true);
        assert.equal(await remove('ada@example.com'), false);
        assert.deepEqual((await listDigestRecipients(db, project.id)).map((r) => r.email), ['bob@example.com']);
        const actions = (await listAuditLog(db, team.id, { limit: 100, projectId: project.id })).map((e) => `${e.action} ${e.target_id}`);
        assert.deepEqual(actions.slice(0, 4), [
          'digest_recipient.remove ada@example.com',
          'digest_recipient.add bob@example.com',
          'digest_recipient.rename ada@example.com',
          'digest_recipient.add ada@example.com',
        ]);
      });
    });
  });
}
