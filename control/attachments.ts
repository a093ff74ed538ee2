/**
 * Attachments' metadata (`sql/005_attachments.sql`): reservations checked
 * against the project's quotas, uploads, links to events and issues, and the
 * rows the cleanup job purges. The bytes are in a BlobStore under
 * `attachmentBlobKey(id)`; names and content types sent by clients are stored
 * as text only, never used as paths or keys.
 */
import { randomUUID } from 'node:crypto';
import { DomainError } from '@strix/contracts';
import { lockInTransaction, type ControlDb, type ControlSql } from './db.ts';

export type AttachmentStatus = 'reserved' | 'uploaded';

/** A row as stored; times are epoch ms. */
export interface AttachmentRow {
  id: string;
  project_id: string;
  app_id: string;
  /** '' when the client named no end user. */
  user_id: string;
  client_event_id: string;
  file_name: string;
  content_type: string;
  size: number;
  sha256: string;
  status: AttachmentStatus;
  event_id: string | null;
  issue_id: string | null;
  created_at: number;
  uploaded_at: number | null;
  deleted_at: number | null;
}

export type NewAttachment = Pick<AttachmentRow, 'project_id' | 'app_id' | 'user_id' | 'client_event_id' | 'file_name' | 'content_type' | 'size' | 'sha256'>;

/** Soft-deleted attachments are purged after this grace. */
export const attachmentPurgeGraceMs = 7 * 24 * 3600_000;
/** A reservation never uploaded within this time is purged (its client gave up or died). */
export const attachmentReservationLifetimeMs = 24 * 3600_000;

const columns = `id, project_id, app_id, user_id, client_event_id, file_name, content_type, size, sha256, status,
  event_id, issue_id, created_at, uploaded_at, deleted_at`;

/** Where the attachment's bytes are in the BlobStore: ids are UUIDs, spread over 256 folders by their first two digits. */
export function attachmentBlobKey(id: string): string {
  return `attachments/${id.slice(0, 2)}/${id}`;
}

export type AttachmentQuotaCode = 'user_quota_exhausted' | 'quota_exhausted';

/** A reservation over a quota: which one, its limit, what is used and what was asked (the HTTP layer answers 413 with `code`). */
export class AttachmentQuotaError extends DomainError {
  constructor(
    readonly code: AttachmentQuotaCode,
    readonly limitBytes: number,
    readonly usedBytes: number,
    readonly requestedBytes: number,
  ) {
    const whose = code === 'user_quota_exhausted' ? "this end user's attachments" : "the project's attachments";
    super('invalid', `${code}: ${whose} use ${usedBytes} of ${limitBytes} bytes; ${requestedBytes} more would exceed the quota`);
    this.name = 'AttachmentQuotaError';
  }
}

export interface AttachmentUsage {
  projectBytes: number;
  projectQuotaBytes: number;
  userBytes: number;
  userQuotaBytes: number;
}

/** What a live project's attachments use, reserved or uploaded, and its quotas; undefined for a missing or deleted project. */
export async function attachmentUsage(db: ControlSql, projectId: string, userId: string): Promise<AttachmentUsage | undefined> {
  const [row] = await db.query<AttachmentUsage>(
    `SELECT p.attachment_quota_bytes AS "projectQuotaBytes", p.attachment_user_quota_bytes AS "userQuotaBytes",
       coalesce(sum(a.size), 0)::int8 AS "projectBytes", coalesce(sum(a.size) FILTER (WHERE a.user_id = $2), 0)::int8 AS "userBytes"
     FROM projects p LEFT JOIN attachments a ON a.project_id = p.id AND a.deleted_at IS NULL
     WHERE p.id = $1 AND p.deleted_at IS NULL
     GROUP BY p.id`,
    [projectId, userId],
  );
  return row;
}

/**
 * Reserves room for an attachment before any byte is sent. Under a lock on
 * the project, so two reservations cannot both take its last bytes: the
 * project's quota, then the end user's (none without a user id). A retried
 * reservation (same event, name, size and SHA-256, not deleted) gets the first
 * one back, counted once.
 */
export async function reserveAttachment(db: ControlDb, attachment: NewAttachment, now = Date.now()): Promise<AttachmentRow> {
  if (!Number.isSafeInteger(attachment.size) || attachment.size < 0) throw new DomainError('invalid', `size: must be a whole number of bytes, got ${attachment.size}`);
  return db.transaction(async (tx) => {
    await lockInTransaction(tx, `attachments of ${attachment.project_id}`);
    const usage = await attachmentUsage(tx, attachment.project_id, attachment.user_id);
    if (!usage) throw new DomainError('not_found', `project ${attachment.project_id}: not found`);
    const app = await tx.query('SELECT 1 FROM apps WHERE id = $1 AND project_id = $2 AND deleted_at IS NULL', [attachment.app_id, attachment.project_id]);
    if (app.length === 0) throw new DomainError('not_found', `app ${attachment.app_id}: not found in project ${attachment.project_id}`);
    const [retried] = await tx.query<AttachmentRow>(
      `SELECT ${columns} FROM attachments
       WHERE project_id = $1 AND app_id = $2 AND client_event_id = $3 AND file_name = $4 AND size = $5 AND sha256 = $6 AND user_id = $7 AND deleted_at IS NULL
       ORDER BY created_at LIMIT 1`,
      [attachment.project_id, attachment.app_id, attachment.client_event_id, attachment.file_name, attachment.size, attachment.sha256, attachment.user_id],
    );
    if (retried) return retried;
    if (usage.projectBytes + attachment.size > usage.projectQuotaBytes) {
      throw new AttachmentQuotaError('quota_exhausted', usage.projectQuotaBytes, usage.projectBytes, attachment.size);
    }
    if (attachment.user_id !== '' && usage.userBytes + attachment.size > usage.userQuotaBytes) {
      throw new AttachmentQuotaError('user_quota_exhausted', usage.userQuotaBytes, usage.userBytes, attachment.size);
    }
    const [row] = await tx.query<AttachmentRow>(
      `INSERT INTO attachments (id, project_id, app_id, user_id, client_event_id, file_name, content_type, size, sha256, status, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'reserved', $10) RETURNING ${columns}`,
      [randomUUID(), attachment.project_id, attachment.app_id, attachment.user_id, attachment.client_event_id, attachment.file_name, attachment.content_type, attachment.size, attachment.sha256, now],
    );
    return row!;
  });
}

/** Records that the store holds the attachment's verified bytes; an uploaded one stays as it was. Undefined when missing or deleted. */
export async function markUploaded(db: ControlSql, projectId: string, id: string, now = Date.now()): Promise<AttachmentRow | undefined> {
  const [row] = await db.query<AttachmentRow>(
    `UPDATE attachments SET status = 'uploaded', uploaded_at = coalesce(uploaded_at, $3)
     WHERE project_id = $1 AND id = $2 AND deleted_at IS NULL RETURNING ${columns}`,
    [projectId, id, now],
  );
  return row;
}

/** A live attachment of the project: another project's id, or a deleted one, is not found. */
export async function getAttachment(db: ControlSql, projectId: string, id: string): Promise<AttachmentRow | undefined> {
  const [row] = await db.query<AttachmentRow>(`SELECT ${columns} FROM attachments WHERE project_id = $1 AND id = $2 AND deleted_at IS NULL`, [projectId, id]);
  return row;
}

/** An event's live attachments, oldest first. */
export async function listEventAttachments(db: ControlSql, projectId: string, appId: string, clientEventId: string): Promise<AttachmentRow[]> {
  return db.query<AttachmentRow>(
    `SELECT ${columns} FROM attachments WHERE project_id = $1 AND app_id = $2 AND client_event_id = $3 AND deleted_at IS NULL ORDER BY created_at, id`,
    [projectId, appId, clientEventId],
  );
}

/** Soft-deletes an attachment (it stops counting against the quotas at once); false when it was missing or deleted already. */
export async function softDeleteAttachment(db: ControlSql, projectId: string, id: string, now = Date.now()): Promise<boolean> {
  const rows = await db.query('UPDATE attachments SET deleted_at = $3 WHERE project_id = $1 AND id = $2 AND deleted_at IS NULL RETURNING id', [projectId, id, now]);
  return rows.length > 0;
}

/**
 * The events a project's live attachments name that are not yet known to be
 * stored, oldest first: whichever came first, the scan looks these ids up
 * among the stored events and calls `linkEvent` for those it finds.
 */
export async function listAttachmentEventsAwaitingLink(db: ControlSql, projectId: string, limit = 1000): Promise<{ app_id: string; client_event_id: string }[]> {
  return db.query(
    `SELECT app_id, client_event_id FROM attachments WHERE project_id = $1 AND deleted_at IS NULL AND event_id IS NULL
     GROUP BY app_id, client_event_id ORDER BY min(created_at), app_id, client_event_id LIMIT $2`,
    [projectId, limit],
  );
}

/** Records the stored event of the attachments sent with it; returns how many it linked (0 when none, or all already). */
export async function linkEvent(db: ControlSql, link: { projectId: string; appId: string; clientEventId: string; eventId: string }): Promise<number> {
  const rows = await db.query(
    `UPDATE attachments SET event_id = $4 WHERE project_id = $1 AND app_id = $2 AND client_event_id = $3 AND event_id IS DISTINCT FROM $4 RETURNING id`,
    [link.projectId, link.appId, link.clientEventId, link.eventId],
  );
  return rows.length;
}

/** Records the issue of an event's attachments (the scan, once it grouped the event); returns how many changed. */
export async function linkIssue(db: ControlSql, link: { projectId: string; eventId: string; issueId: string }): Promise<number> {
  const rows = await db.query(
    `UPDATE attachments SET issue_id = $3 WHERE project_id = $1 AND event_id = $2 AND issue_id IS DISTINCT FROM $3 RETURNING id`,
    [link.projectId, link.eventId, link.issueId],
  );
  return rows.length;
}

/**
 * Uploaded attachments of no issue, created before `createdBefore`: once that
 * is beyond the project's event retention their events are gone too, and
 * the cleanup job soft-deletes them.
 */
export async function listAttachmentsWithoutIssue(db: ControlSql, projectId: string, createdBefore: number, limit = 1000): Promise<AttachmentRow[]> {
  return db.query<AttachmentRow>(
    `SELECT ${columns} FROM attachments WHERE project_id = $1 AND deleted_at IS NULL AND issue_id IS NULL AND created_at < $2
     ORDER BY created_at, id LIMIT $3`,
    [projectId, createdBefore, limit],
  );
}

export interface PurgedAttachment {
  id: string;
  project_id: string;
  reason: 'deleted' | 'never_uploaded';
}

/**
 * Deletes the rows whose files should go: soft-deleted more than
 * `attachmentPurgeGraceMs` ago, and reservations never uploaded within
 * `attachmentReservationLifetimeMs`. The rows go first, so an upload finishing
 * meanwhile finds no row and is refused; the caller then deletes each blob
 * (`attachmentBlobKey`), and a crash in between leaves files the orphan sweep
 * (`knownAttachmentIds`) finds.
 */
export async function purgeExpiredAttachments(db: ControlSql, now = Date.now(), limit = 1000): Promise<PurgedAttachment[]> {
  return db.query<PurgedAttachment>(
    `DELETE FROM attachments WHERE id IN (
       (SELECT id FROM attachments WHERE deleted_at IS NOT NULL AND deleted_at < $1 ORDER BY deleted_at LIMIT $3)
       UNION ALL
       (SELECT id FROM attachments WHERE status = 'reserved' AND deleted_at IS NULL AND created_at < $2 ORDER BY created_at LIMIT $3))
     RETURNING id, project_id, CASE WHEN deleted_at IS NULL THEN 'never_uploaded' ELSE 'deleted' END AS reason`,
    [now - attachmentPurgeGraceMs, now - attachmentReservationLifetimeMs, limit],
  );
}

/** Which of `ids` still have a row (deleted or not): a blob whose id is not among them is an orphan. */
export async function knownAttachmentIds(db: ControlSql, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db.query<{ id: string }>('SELECT id FROM attachments WHERE id = ANY($1::text[])', [ids]);
  return new Set(rows.map((r) => r.id));
}

/** A project's live attachments of one event (by the event's id, any app) or one issue, newest first. */
export async function listAttachments(db: ControlSql, projectId: string, of: { eventId: string } | { issueId: string }, limit: number): Promise<AttachmentRow[]> {
  const [column, value] = 'eventId' in of ? ['client_event_id', of.eventId] : ['issue_id', of.issueId];
  return db.query<AttachmentRow>(
    `SELECT ${columns} FROM attachments WHERE project_id = $1 AND ${column} = $2 AND deleted_at IS NULL ORDER BY created_at DESC, id DESC LIMIT $3`,
    [projectId, value, limit],
  );
}

/**
 * Removes an end user's attachments of the project (the right of erasure):
 * their rows at once, whatever their state, returning the ids whose files the
 * caller deletes next (a crash in between leaves files the orphan sweep of
 * `attachment_cleanup` removes).
 */
export async function deletePersonAttachments(db: ControlSql, projectId: string, userId: string): Promise<string[]> {
  const rows = await db.query<{ id: string }>('DELETE FROM attachments WHERE project_id = $1 AND user_id = $2 RETURNING id', [projectId, userId]);
  return rows.map((r) => r.id);
}
