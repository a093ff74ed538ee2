/**
 * The API keys part of the control-plane contract (control-plane-contract.ts
 * runs it on its store): format, hashing, permissions, the principals every
 * process authenticates with, rotation, revocation, and what deleting an app
 * or a project does to its keys.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultPermissions, hashKey, keyPrefix, keyTypes, type Principal } from '@strix/contracts';
import { listAuditLog } from './audit.ts';
import { ControlPlane } from './control-plane.ts';
import type { ControlDb } from './db.ts';
import { createKey, getKey, listKeys, loadPrincipals, revokeKey, rotateKey } from './keys.ts';
import { createApp, createProject, createTeam, deleteApp, deleteProject, getApp, getProject, projectDeletionGraceMs, purgeDeletedProjects, restoreProject } from './projects.ts';
import { addDigestRecipient } from './recipients.ts';
import { actor, domainError, unique } from './contract-fixture.ts';

const hour = 3_600_000;

export function describeKeysContract(store: () => ControlDb): void {
  describe('keys', () => {
    /** A team with one project (events kept 30 days) holding an iOS app. */
    const setup = async () => {
      const db = store();
      return db.transaction(async (tx) => {
        const team = await createTeam(tx, { name: unique('Team') }, actor);
        const project = await createProject(tx, team.id, { name: 'Keys', retention_events_days: 30 }, actor);
        const app = await createApp(tx, project.id, { name: 'iOS', platform: 'apple', bundle_id: 'com.example.keys' }, actor);
        return { db, team, project, app };
      });
    };
    const principal = async (db: ControlDb, secret: string): Promise<Principal | undefined> =>
      (await loadPrincipals(db)).find((p) => p.keyHash === hashKey(secret));

    it('makes keys of a scannable prefix and 48 hex digits, letters, digits and _ only, with their type’s default permissions', async () => {
      const { db, project, app } = await setup();
      for (const type of keyTypes) {
        const { key, secret } = await db.transaction((tx) => createKey(tx, project.id, { type, appId: type === 'agent' ? null : app.id }, actor));
        assert.match(secret, new RegExp(`^strix_${type}_[0-9a-f]{48}$`));
        assert.match(secret, /^[A-Za-z0-9_]+$/, 'a valid Sentry DSN public key');
        assert.equal(key.key_prefix, keyPrefix(secret));
        assert.deepEqual(key.permissions, [...defaultPermissions[type]].sort());
      }
    });

    it('stores a hash of each key and never the key itself', async () => {
      const { db, project, app } = await setup();
      const { key, secret } = await db.transaction((tx) => createKey(tx, project.id, { type: 'client', appId: app.id, name: 'shop' }, actor));
      const rows = await db.query<Record<string, unknown>>('SELECT * FROM api_keys WHERE project_id = $1', [project.id]);
      assert.equal(rows.length, 1);
      assert.equal(rows[0]?.key_hash, hashKey(secret));
      const random = secret.slice(key.key_prefix.length);
      const audit = await db.query<Record<string, unknown>>('SELECT * FROM audit_log WHERE project_id = $1', [project.id]);
      for (const row of [...rows, ...audit]) assert.ok(!JSON.stringify(row).includes(random), `no column holds the key: ${JSON.stringify(row)}`);
    });

    it('refuses a permission its type may not have, an agent key on an app, a client key without one, and a past expiry', async () => {
      const { db, project, app } = await setup();
      const create = (key: Parameters<typeof createKey>[2]) => db.transaction((tx) => createKey(tx, project.id, key, actor));
      await domainError(create({ type: 'client', appId: app.id, permissions: ['events:write', 'events:read'] }), 'invalid', /^permissions: "events:read" is not allowed for client keys/);
      await domainError(create({ type: 'agent', permissions: ['events:write'] }), 'invalid', /"events:write"/);
      await domainError(create({ type: 'import', appId: app.id, permissions: ['events:delete'] }), 'invalid', /"events:delete" is not a permission/);
      await domainError(create({ type: 'agent', appId: app.id }), 'invalid', /^app_id:/);
      await domainError(create({ type: 'client' }), 'invalid', /^app_id:/);
      await domainError(create({ type: 'client', appId: 'no-such-app' }), 'not_found', /no-such-app/);
      await domainError(create({ type: 'client', appId: app.id, expiresAt: Date.now() - 1000 }), 'invalid', /^expires_at:/);
      assert.deepEqual(await listKeys(db, project.id), [], 'no refused key was stored');
    });

    it('loads each key as a principal with its team, project, app, platform, permissions, expiry and retention', async () => {
      const { db, team, project, app } = await setup();
      const expiresAt = Date.now() + hour;
      const client = await db.transaction((tx) => createKey(tx, project.id, { type: 'client', appId: app.id, expiresAt }, actor));
      const agent = await db.transaction((tx) => createKey(tx, project.id, { type: 'agent', permissions: ['issues:read', 'events:read'] }, actor));
      const c = await principal(db, client.secret);
      assert.ok(c);
      assert.deepEqual(
        { ...c, expiresAt: undefined },
        {
          keyHash: hashKey(client.secret),
          keyId: client.key.id,
          keyPrefix: keyPrefix(client.secret),
          keyType: 'client',
          teamId: team.id,
          projectId: project.id,
          appId: app.id,
          platform: 'apple',
          permissions: ['events:write', 'users:write'],
          revoked: false,
          expiresAt: undefined,
          retentionDays: 30,
        },
      );
      assert.ok(Math.abs((c.expiresAt ?? 0) - expiresAt) <= 1, `expiresAt ${c.expiresAt} ≈ ${expiresAt}`);
      const a = await principal(db, agent.secret);
      assert.deepEqual([a?.keyType, a?.appId, a?.platform, a?.permissions, a?.expiresAt], ['agent', '', undefined, ['events:read', 'issues:read'], null]);
    });

    it('rotates a key: the new one works at once, the old one until the overlap ends, and a key rotates only once', async () => {
      const { db, team, project, app } = await setup();
      const old = await db.transaction((tx) => createKey(tx, project.id, { type: 'client', appId: app.id, name: 'shop' }, actor));
      const before = Date.now();
      const rotated = await db.transaction((tx) => rotateKey(tx, project.id, old.key.id, 2 * hour, actor));
      const after = Date.now();
      assert.notEqual(rotated.secret, old.secret);
      assert.deepEqual([rotated.key.name, rotated.key.app_id, rotated.key.permissions], ['shop', app.id, old.key.permissions]);
      const fresh = await principal(db, rotated.secret);
      assert.deepEqual([fresh?.revoked, fresh?.expiresAt], [false, null]);
      const retired = await getKey(db, project.id, old.key.id);
      assert.equal(retired?.replaced_by, rotated.key.id);
      const ends = retired?.expires_ms ?? 0;
      assert.ok(ends >= before + 2 * hour - 1 && ends <= after + 2 * hour + 1, `old key expires at now + overlap (${ends})`);
      const stillWorks = await principal(db, old.secret);
      assert.deepEqual([stillWorks?.revoked, stillWorks?.expiresAt], [false, ends]);
      await domainError(db.transaction((tx) => rotateKey(tx, project.id, old.key.id, hour, actor)), 'conflict', /already rotated/);
      await domainError(db.transaction((tx) => rotateKey(tx, project.id, 'no-such-key', hour, actor)), 'not_found', /no-such-key/);
      const [entry] = await listAuditLog(db, team.id, { limit: 1 });
      assert.deepEqual([entry?.action, entry?.target_id, entry?.details.replaced_by], ['key.rotate', old.key.id, rotated.key.id]);

      // An expiry sooner than the overlap stays.
      const soon = Date.now() + 60_000;
      const short = await db.transaction((tx) => createKey(tx, project.id, { type: 'agent', expiresAt: soon }, actor));
      await db.transaction((tx) => rotateKey(tx, project.id, short.key.id, 24 * hour, actor));
      assert.ok(Math.abs(((await getKey(db, project.id, short.key.id))?.expires_ms ?? 0) - soon) <= 1);
    });

    it('revokes a key once, only within its project; a revoked key cannot be rotated', async () => {
      const { db, project, app } = await setup();
      const { project: other } = await setup();
      const { key, secret } = await db.transaction((tx) => createKey(tx, project.id, { type: 'client', appId: app.id }, actor));
      assert.equal(await db.transaction((tx) => revokeKey(tx, other.id, key.id, actor)), false, 'another project cannot revoke it');
      assert.equal((await principal(db, secret))?.revoked, false);
      assert.equal(await db.transaction((tx) => revokeKey(tx, project.id, key.id, actor)), true);
      assert.equal(await db.transaction((tx) => revokeKey(tx, project.id, key.id, actor)), false);
      assert.equal((await principal(db, secret))?.revoked, true, 'kept, marked revoked, so a refusal can say why');
      assert.notEqual((await getKey(db, project.id, key.id))?.revoked_ms, null);
      await domainError(db.transaction((tx) => rotateKey(tx, project.id, key.id, hour, actor)), 'conflict', /revoked/);
    });

    it('revokes an app’s keys with the app, and only them', async () => {
      const { db, project, app } = await setup();
      const client = await db.transaction((tx) => createKey(tx, project.id, { type: 'client', appId: app.id }, actor));
      const importer = await db.transaction((tx) => createKey(tx, project.id, { type: 'import', appId: app.id }, actor));
      const agent = await db.transaction((tx) => createKey(tx, project.id, { type: 'agent' }, actor));
      assert.equal(await db.transaction((tx) => deleteApp(tx, project.id, app.id, actor)), true);
      assert.equal(await db.transaction((tx) => deleteApp(tx, project.id, app.id, actor)), false);
      assert.deepEqual(
        await Promise.all([client, importer, agent].map(async (k) => (await principal(db, k.secret))?.revoked)),
        [true, true, false],
      );
      for (const k of [client, importer]) assert.notEqual((await getKey(db, project.id, k.key.id))?.revoked_ms, null);
      assert.equal(await getApp(db, project.id, app.id), undefined);
      assert.equal((await (await ControlPlane.open(db)).appNames(project.id)).get(app.id), 'iOS', 'old issues still name a deleted app');
      await domainError(db.transaction((tx) => createKey(tx, project.id, { type: 'client', appId: app.id }, actor)), 'not_found', new RegExp(app.id));
    });

    it('stops a deleted project’s keys at once, brings them back on restore, and purges it after the grace', async () => {
      const { db, team, project, app } = await setup();
      const client = await db.transaction((tx) => createKey(tx, project.id, { type: 'client', appId: app.id }, actor));
      const rotated = await db.transaction((tx) => rotateKey(tx, project.id, client.key.id, hour, actor));
      await db.transaction((tx) => addDigestRecipient(tx, team.id, project.id, { email: 'ada@example.com' }, actor));
      const keysOfProject = async () => (await loadPrincipals(db)).filter((p) => p.projectId === project.id).length;
      assert.equal(await keysOfProject(), 2);

      assert.equal(await db.transaction((tx) => deleteProject(tx, project.id, actor)), true);
      assert.equal(await db.transaction((tx) => deleteProject(tx, project.id, actor)), false);
      assert.equal(await keysOfProject(), 0);
      assert.equal(await getProject(db, project.id), undefined);
      assert.notEqual((await getProject(db, project.id, { includeDeleted: true }))?.deleted_ms, null);
      assert.ok(!(await (await ControlPlane.open(db)).listProjects()).some((p) => p.project_id === project.id));

      assert.ok((await db.transaction((tx) => restoreProject(tx, project.id, actor)))?.deleted_ms === null);
      assert.equal(await keysOfProject(), 2);
      await db.transaction((tx) => deleteProject(tx, project.id, actor));

      assert.ok(!(await purgeDeletedProjects(db, Date.now(), actor)).includes(project.id), 'kept during the grace');
      const purged = await purgeDeletedProjects(db, Date.now() + projectDeletionGraceMs + 60_000, actor);
      assert.ok(purged.includes(project.id));
      for (const table of ['projects WHERE id', 'apps WHERE project_id', 'api_keys WHERE project_id', 'digest_recipients WHERE project_id']) {
        assert.deepEqual(await db.query(`SELECT 1 FROM ${table} = $1`, [project.id]), [], table);
      }
      assert.ok(!(await loadPrincipals(db)).some((p) => p.keyHash === hashKey(rotated.secret)));
      const [entry] = await listAuditLog(db, team.id, { limit: 1 });
      assert.deepEqual([entry?.action, entry?.target_id], ['project.purge', project.id]);
    });
  });
}
