/**
 * Attachments' metadata on an engine: quotas at their edges, project scoping,
 * links to events and issues, and what the cleanup purges. `open` gives a
 * fresh, empty store; every test makes its own project.
 */
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { copyFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  AttachmentQuotaError,
  attachmentPurgeGraceMs,
  attachmentReservationLifetimeMs,
  getAttachment,
  knownAttachmentIds,
  linkEvent,
  linkIssue,
  listAttachmentEventsAwaitingLink,
  listEventAttachments,
  markUploaded,
  purgeExpiredAttachments,
  reserveAttachment,
  softDeleteAttachment,
  type AttachmentQuotaCode,
} from './attachments.ts';
import { actor, domainError, unique } from './contract-fixture.ts';
import type { ControlDb } from './db.ts';
import { controlSqlDir, migrateControl } from './migrate.ts';
import { createApp, createProject, createTeam, getProject, updateProject } from './projects.ts';

const MiB = 1024 * 1024;

export function attachmentsContract(engine: string, open: () => Promise<ControlDb>): void {
  describe(`attachments (${engine})`, { timeout: 180_000 }, () => {
    let db: ControlDb;
    before(async () => {
      db = await open();
      await migrateControl(db);
    });
    after(() => db?.close());

    const newProject = async (): Promise<{ projectId: string; appId: string }> =>
      db.transaction(async (tx) => {
        const team = await createTeam(tx, { name: unique('Team') }, actor);
        const project = await createProject(tx, team.id, { name: 'Shop' }, actor);
        const app = await createApp(tx, project.id, { name: 'Shop API', platform: 'backend', bundle_id: null }, actor);
        return { projectId: project.id, appId: app.id };
      });
    const reserve = (p: { projectId: string; appId: string }, userId: string, size: number, more: { clientEventId?: string; fileName?: string; now?: number } = {}) =>
      reserveAttachment(
        db,
        {
          project_id: p.projectId,
          app_id: p.appId,
          user_id: userId,
          client_event_id: more.clientEventId ?? randomUUID(),
          file_name: more.fileName ?? `${randomUUID()}.log`,
          content_type: 'text/plain',
          size,
          sha256: createHash('sha256').update(String(size)).digest('hex'),
        },
        more.now,
      );
    const refused = async (promise: Promise<unknown>, code: AttachmentQuotaCode, limit: number, used: number, requested: number) => {
      await assert.rejects(promise, (error: unknown) => {
        assert.ok(error instanceof AttachmentQuotaError, `expected a quota error, got ${String(error)}`);
        assert.deepEqual([error.code, error.limitBytes, error.usedBytes, error.requestedBytes], [code, limit, used, requested]);
        assert.match(error.message, new RegExp(`^${code}: .* use ${used} of ${limit} bytes; ${requested} more would exceed the quota$`));
        return true;
      });
    };

    describe('quotas', () => {
      it('gives a new project 5 GiB and each end user 250 MiB', async () => {
        const project = await getProject(db, (await newProject()).projectId);
        assert.equal(project?.attachment_quota_bytes, 5 * 1024 * MiB);
        assert.equal(project?.attachment_user_quota_bytes, 250 * MiB);
      });

      it("accepts an end user's reservations up to exactly 250 MiB and refuses one byte more; other users and projects are unaffected", async () => {
        const p = await newProject();
        const other = await newProject();
        await reserve(p, 'ada', 100 * MiB);
        await reserve(p, 'ada', 150 * MiB);
        await refused(reserve(p, 'ada', 1), 'user_quota_exhausted', 250 * MiB, 250 * MiB, 1);
        await reserve(p, 'bea', 250 * MiB);
        await reserve(other, 'ada', 250 * MiB);
        // Without a user id only the project's quota applies.
        await reserve(p, '', 300 * MiB);
      });

      it("accepts a project's reservations up to exactly 5 GiB and refuses one byte more, then accepts again once one is deleted", async () => {
        const p = await newProject();
        const other = await newProject();
        const rows = [];
        for (let user = 0; user < 20; user++) rows.push(await reserve(p, `user-${user}`, 250 * MiB));
        await reserve(p, '', 120 * MiB);
        await refused(reserve(p, 'newcomer', 1), 'quota_exhausted', 5 * 1024 * MiB, 5 * 1024 * MiB, 1);
        await refused(reserve(p, '', 1), 'quota_exhausted', 5 * 1024 * MiB, 5 * 1024 * MiB, 1);
        await reserve(other, 'newcomer', 1);

        // Uploaded ones count as reserved ones do; deleted ones stop counting at once.
        await markUploaded(db, p.projectId, rows[0]!.id);
        await refused(reserve(p, 'newcomer', 1), 'quota_exhausted', 5 * 1024 * MiB, 5 * 1024 * MiB, 1);
        assert.equal(await softDeleteAttachment(db, p.projectId, rows[0]!.id), true);
        await reserve(p, 'newcomer', 250 * MiB);
        await refused(reserve(p, 'newcomer', 1), 'quota_exhausted', 5 * 1024 * MiB, 5 * 1024 * MiB, 1);
      });

      it("checks the project's own quotas as an admin set them", async () => {
        const p = await newProject();
        await db.transaction((tx) => updateProject(tx, p.projectId, { attachment_quota_bytes: 1000, attachment_user_quota_bytes: 600 }, actor));
        await reserve(p, 'ada', 600);
        await refused(reserve(p, 'ada', 1), 'user_quota_exhausted', 600, 600, 1);
        await refused(reserve(p, 'bea', 401), 'quota_exhausted', 1000, 600, 401);
        await reserve(p, 'bea', 400);
      });

      it('lets only one of three reservations racing for the last bytes through', async () => {
        const p = await newProject();
        await db.transaction((tx) => updateProject(tx, p.projectId, { attachment_quota_bytes: 1000 }, actor));
        // On a server these are separate connections: the project's lock is what keeps them apart.
        const results = await Promise.allSettled([1, 2, 3].map((n) => reserve(p, `user-${n}`, 600)));
        assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
        for (const r of results) if (r.status === 'rejected') assert.ok(r.reason instanceof AttachmentQuotaError);
      });

      it('counts a retried reservation once, and refuses an unknown project or an app of another project', async () => {
        const p = await newProject();
        const other = await newProject();
        await db.transaction((tx) => updateProject(tx, p.projectId, { attachment_user_quota_bytes: 100 }, actor));
        const first = await reserve(p, 'ada', 100, { clientEventId: 'event-1', fileName: 'log.txt' });
        const retried = await reserve(p, 'ada', 100, { clientEventId: 'event-1', fileName: 'log.txt' });
        assert.equal(retried.id, first.id);
        await domainError(reserve({ projectId: 'no-such-project', appId: p.appId }, 'ada', 1), 'not_found', /^project no-such-project: not found$/);
        await domainError(reserve({ projectId: p.projectId, appId: other.appId }, 'ada', 1), 'not_found', /^app .*: not found in project/);
      });
    });

    describe('rows', () => {
      it('keeps the metadata as sent, project-scoped, and records the upload once', async () => {
        const p = await newProject();
        const other = await newProject();
        const reserved = await reserve(p, 'ada', 42, { clientEventId: 'event-1', fileName: '../../etc/passwd', now: 1_000 });
        assert.deepEqual(
          { ...reserved, id: undefined },
          {
            id: undefined, project_id: p.projectId, app_id: p.appId, user_id: 'ada', client_event_id: 'event-1', file_name: '../../etc/passwd',
            content_type: 'text/plain', size: 42, sha256: createHash('sha256').update('42').digest('hex'), status: 'reserved',
            event_id: null, issue_id: null, created_at: 1_000, uploaded_at: null, deleted_at: null,
          },
        );
        assert.equal(await getAttachment(db, other.projectId, reserved.id), undefined, "another project's id is not found");
        assert.equal((await markUploaded(db, other.projectId, reserved.id)) ?? 'not found', 'not found');

        const uploaded = await markUploaded(db, p.projectId, reserved.id, 2_000);
        assert.deepEqual([uploaded?.status, uploaded?.uploaded_at], ['uploaded', 2_000]);
        const again = await markUploaded(db, p.projectId, reserved.id, 3_000);
        assert.equal(again?.uploaded_at, 2_000, 'a repeated upload keeps the first time');
        assert.deepEqual(await getAttachment(db, p.projectId, reserved.id), uploaded);

        assert.equal(await softDeleteAttachment(db, other.projectId, reserved.id), false);
        assert.equal(await softDeleteAttachment(db, p.projectId, reserved.id), true);
        assert.equal(await softDeleteAttachment(db, p.projectId, reserved.id), false);
        assert.equal(await getAttachment(db, p.projectId, reserved.id), undefined);
        assert.equal(await markUploaded(db, p.projectId, reserved.id), undefined, 'a deleted attachment takes no upload');
      });

      it('links attachments to their event whichever arrives first, then to the issue', async () => {
        const p = await newProject();
        // The event is stored first: nothing to link yet, and nothing is lost.
        assert.equal(await linkEvent(db, { projectId: p.projectId, appId: p.appId, clientEventId: 'early', eventId: 'early' }), 0);
        const late = await reserve(p, 'ada', 1, { clientEventId: 'early' });
        const first = await reserve(p, 'ada', 2, { clientEventId: 'late' });
        const second = await reserve(p, 'ada', 3, { clientEventId: 'late' });
        assert.deepEqual(await listAttachmentEventsAwaitingLink(db, p.projectId), [
          { app_id: p.appId, client_event_id: 'early' },
          { app_id: p.appId, client_event_id: 'late' },
        ]);

        assert.equal(await linkEvent(db, { projectId: p.projectId, appId: p.appId, clientEventId: 'early', eventId: 'early' }), 1);
        assert.equal(await linkEvent(db, { projectId: p.projectId, appId: p.appId, clientEventId: 'late', eventId: 'late' }), 2);
        assert.equal(await linkEvent(db, { projectId: p.projectId, appId: p.appId, clientEventId: 'late', eventId: 'late' }), 0, 'linking again changes nothing');
        assert.deepEqual(await listAttachmentEventsAwaitingLink(db, p.projectId), []);
        assert.equal((await getAttachment(db, p.projectId, late.id))?.event_id, 'early');

        assert.equal(await linkIssue(db, { projectId: p.projectId, eventId: 'late', issueId: 'issue-1' }), 2);
        const attached = await listEventAttachments(db, p.projectId, p.appId, 'late');
        assert.deepEqual(attached.map((a) => [a.id, a.issue_id]), [[first.id, 'issue-1'], [second.id, 'issue-1']]);
      });
    });

    describe('cleanup', () => {
      it('purges soft-deleted rows after 7 days and reservations never uploaded after a day, and nothing else', async () => {
        const p = await newProject();
        const t0 = Date.UTC(2026, 0, 5, 9);
        const deleted = await reserve(p, 'ada', 1, { now: t0 });
        await markUploaded(db, p.projectId, deleted.id, t0);
        await softDeleteAttachment(db, p.projectId, deleted.id, t0);
        const abandoned = await reserve(p, 'ada', 2, { now: t0 });
        const uploaded = await reserve(p, 'ada', 3, { now: t0 });
        await markUploaded(db, p.projectId, uploaded.id, t0 + 1000);
        const mine = (rows: { id: string }[]) => rows.filter((r) => [deleted.id, abandoned.id, uploaded.id].includes(r.id));

        assert.deepEqual(mine(await purgeExpiredAttachments(db, t0 + attachmentReservationLifetimeMs)), []);
        assert.deepEqual(mine(await purgeExpiredAttachments(db, t0 + attachmentReservationLifetimeMs + 1)), [
          { id: abandoned.id, project_id: p.projectId, reason: 'never_uploaded' },
        ]);
        assert.deepEqual(mine(await purgeExpiredAttachments(db, t0 + attachmentPurgeGraceMs)), []);
        assert.deepEqual(mine(await purgeExpiredAttachments(db, t0 + attachmentPurgeGraceMs + 1)), [{ id: deleted.id, project_id: p.projectId, reason: 'deleted' }]);
        assert.deepEqual(mine(await purgeExpiredAttachments(db, t0 + 365 * attachmentPurgeGraceMs)), []);
        assert.deepEqual(await knownAttachmentIds(db, [deleted.id, abandoned.id, uploaded.id, randomUUID()]), new Set([uploaded.id]));
      });
    });

    describe('migration 005', () => {
      it('moves projects still on the first default quotas to the new ones, and keeps chosen ones', async () => {
        const fresh = await open();
        const dir = await mkdtemp(join(tmpdir(), 'strix-control-sql-'));
        try {
          for (const f of await readdir(controlSqlDir)) if (f < '005') await copyFile(join(controlSqlDir, f), join(dir, f));
          await migrateControl(fresh, dir);
          const [untouched, chosen] = await fresh.transaction(async (tx) => {
            const team = await createTeam(tx, { name: 'Team' }, actor);
            return [await createProject(tx, team.id, { name: 'Old' }, actor), await createProject(tx, team.id, { name: 'Chosen' }, actor)];
          });
          assert.deepEqual([untouched.attachment_quota_bytes, untouched.attachment_user_quota_bytes], [1024 * MiB, 100 * MiB]);
          await fresh.query('UPDATE projects SET attachment_quota_bytes = 7, attachment_user_quota_bytes = 3 WHERE id = $1', [chosen.id]);
          await migrateControl(fresh);
          const quotas = async (id: string) => {
            const row = await getProject(fresh, id);
            return [row?.attachment_quota_bytes, row?.attachment_user_quota_bytes];
          };
          assert.deepEqual(await quotas(untouched.id), [5 * 1024 * MiB, 250 * MiB]);
          assert.deepEqual(await quotas(chosen.id), [7, 3]);
        } finally {
          await rm(dir, { recursive: true, force: true });
          await fresh.close();
        }
      });
    });
  });
}
