import type { BlobStore, Warehouse } from '@strix/contracts';
import {
  attachmentBlobKey,
  attachmentReservationLifetimeMs,
  knownAttachmentIds,
  listAttachmentsWithoutIssue,
  purgeExpiredAttachments,
  softDeleteAttachment,
  type ControlPlane,
} from '@strix/control';
import { attachmentEvents } from '@strix/warehouse';
import type { JobBody, JobContext } from '../jobs.ts';

export interface AttachmentJobDeps {
  warehouse: Warehouse;
  directory: ControlPlane;
  /** Where the files are; without it the job purges nothing and says so. */
  blobs?: BlobStore;
  now?: () => number;
}

/** Rows handled per statement, and blob keys checked per lookup. */
const batch = 1000;
/** Attachments without an issue checked against the warehouse per project and run (oldest first, the likeliest to be gone). */
const orphanChecksPerProject = 10_000;

/**
 * `attachment_cleanup` (daily, every project): rows first, then their files,
 * so an upload finishing meanwhile finds no row and is refused; a crash in
 * between leaves files the orphan sweep of the next run removes. Idempotent.
 *  1. uploaded attachments older than a reservation's lifetime whose event is
 *     not in the warehouse (gone with its retention, or never sent) and that
 *     belong to no issue are soft-deleted, like a person's deletion;
 *  2. rows soft-deleted more than 7 days ago and reservations never uploaded
 *     within a day are deleted, then their files;
 *  3. files of interrupted uploads, and files without a row, are removed.
 */
export function attachmentJobBodies(deps: AttachmentJobDeps): { attachment_cleanup: JobBody } {
  const now = deps.now ?? Date.now;
  return {
    async attachment_cleanup(ctx) {
      const blobs = deps.blobs;
      if (!blobs) return { skipped: 'no attachment store in this process; nothing was purged' };
      const startedAt = now();
      const eventsGone = await softDeleteEventless(deps, ctx, startedAt);

      let purged = 0;
      const reasons = { deleted: 0, never_uploaded: 0 };
      for (;;) {
        const rows = await purgeExpiredAttachments(deps.directory.db, startedAt, batch);
        for (const row of rows) {
          await blobs.delete(attachmentBlobKey(row.id));
          reasons[row.reason]++;
        }
        purged += rows.length;
        await ctx.progress({ processed: eventsGone + purged, total: null, message: `purged ${purged} attachments` });
        if (rows.length < batch) break;
      }

      const incompleteUploads = await blobs.purgeIncomplete(startedAt - attachmentReservationLifetimeMs);
      const orphanFiles = await sweepOrphanFiles(blobs, deps.directory, startedAt);
      await ctx.progress({ processed: eventsGone + purged + incompleteUploads + orphanFiles, total: null, message: 'done' });
      return { softDeletedEventGone: eventsGone, purgedDeleted: reasons.deleted, purgedNeverUploaded: reasons.never_uploaded, incompleteUploads, orphanFiles };
    },
  };
}

/** Step 1 over every project: attachments of no issue whose event the warehouse no longer (or never) held. */
async function softDeleteEventless(deps: AttachmentJobDeps, ctx: JobContext, at: number): Promise<number> {
  let deleted = 0;
  const projects = await deps.directory.listProjects();
  for (const [i, { project_id: projectId }] of projects.entries()) {
    await ctx.progress({ processed: deleted, total: null, message: `checking the events of project ${i + 1} of ${projects.length}` });
    const candidates = (await listAttachmentsWithoutIssue(deps.directory.db, projectId, at - attachmentReservationLifetimeMs, orphanChecksPerProject)).filter(
      (a) => a.status === 'uploaded',
    );
    for (let from = 0; from < candidates.length; from += batch) {
      const slice = candidates.slice(from, from + batch);
      const stored = await attachmentEvents(deps.warehouse, projectId, [...new Set(slice.map((a) => a.client_event_id))]);
      const present = new Set(stored.map((e) => `${e.app_id}\u0000${e.event_id}`));
      for (const a of slice) {
        if (present.has(`${a.app_id}\u0000${a.client_event_id}`)) continue;
        if (await softDeleteAttachment(deps.directory.db, projectId, a.id, at)) deleted++;
      }
    }
  }
  return deleted;
}

/** Files under `attachments/` whose row is gone (a crash between a row's purge and its file's), written before `before`. */
async function sweepOrphanFiles(blobs: BlobStore, directory: ControlPlane, before: number): Promise<number> {
  let removed = 0;
  let pending: { key: string; id: string }[] = [];
  const flush = async () => {
    const known = await knownAttachmentIds(directory.db, pending.map((p) => p.id));
    for (const p of pending) {
      if (known.has(p.id)) continue;
      await blobs.delete(p.key);
      removed++;
    }
    pending = [];
  };
  for await (const blob of blobs.list('attachments/')) {
    // A file written since the run began may belong to a reservation made meanwhile: the next run sees it.
    if (blob.modifiedMs >= before) continue;
    pending.push({ key: blob.key, id: blob.key.slice(blob.key.lastIndexOf('/') + 1) });
    if (pending.length >= batch) await flush();
  }
  if (pending.length > 0) await flush();
  return removed;
}
