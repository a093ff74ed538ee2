import { z } from 'zod';
import { CommentAuthorTypes, type Warehouse } from '@strix/contracts';
import { queryRows } from './query-rows.ts';
import { nextVersion } from './row-version.ts';

/** A markdown comment on an issue (times in epoch ms; deleted_at set on a soft delete). */
export const CommentRow = z.object({
  project_id: z.string(),
  comment_id: z.string(),
  issue_id: z.string(),
  author_type: z.enum(CommentAuthorTypes),
  author_name: z.string(),
  body: z.string(),
  created_at: z.coerce.number().int(),
  edited_at: z.union([z.null(), z.coerce.number().int()]),
  deleted_at: z.union([z.null(), z.coerce.number().int()]),
});
export type CommentRow = z.infer<typeof CommentRow>;

const columns = `project_id, comment_id, issue_id, author_type, author_name, body, toUnixTimestamp64Milli(created_at) AS created_ms,
  if(isNull(edited_at), NULL, toUnixTimestamp64Milli(assumeNotNull(edited_at))) AS edited_ms,
  if(isNull(deleted_at), NULL, toUnixTimestamp64Milli(assumeNotNull(deleted_at))) AS deleted_ms`;

/** A comment as read back: the `_ms` aliases (an alias named like its column would shadow it) renamed. */
const CommentRead = z.preprocess((row) => {
  if (typeof row !== 'object' || row === null) return row;
  const { created_ms, edited_ms, deleted_ms, ...rest } = row as Record<string, unknown>;
  return { ...rest, created_at: created_ms, edited_at: edited_ms, deleted_at: deleted_ms };
}, CommentRow);
const CommentIdRow = z.object({ comment_id: z.string() });

export async function writeComments(wh: Warehouse, rows: readonly CommentRow[]): Promise<void> {
  if (rows.length === 0) return;
  await wh.insert('issue_comments', rows.map((row) => ({ ...row, version: nextVersion() })));
}

/** The comments of the given issues, oldest first; soft-deleted ones only when asked. */
export async function commentsOf(wh: Warehouse, projectId: string, issueIds: readonly string[], includeDeleted = false): Promise<CommentRow[]> {
  if (issueIds.length === 0) return [];
  return queryRows(
    wh,
    'issue comments',
    CommentRead,
    `SELECT ${columns} FROM issue_comments FINAL
     WHERE project_id = {project:String} AND issue_id IN {ids:Array(String)} ${includeDeleted ? '' : 'AND isNull(deleted_at)'}
     ORDER BY created_at, comment_id`,
    { project: projectId, ids: issueIds },
  );
}

export async function commentById(wh: Warehouse, projectId: string, commentId: string): Promise<CommentRow | undefined> {
  const [row] = await queryRows(
    wh,
    'issue comments',
    CommentRead,
    `SELECT ${columns} FROM issue_comments FINAL WHERE project_id = {project:String} AND comment_id = {id:String}`,
    { project: projectId, id: commentId },
  );
  return row;
}

/**
 * Deletes for good the comments soft-deleted before `cutoff` (epoch ms), in
 * every project; returns how many. Ids are read first so a run with nothing
 * to purge issues no mutation, and a mutation never reads its own table.
 */
export async function purgeDeletedComments(wh: Warehouse, cutoff: number): Promise<number> {
  const rows = await queryRows(
    wh,
    'issue comments',
    CommentIdRow,
    `SELECT comment_id FROM issue_comments FINAL
     WHERE isNotNull(deleted_at) AND deleted_at < fromUnixTimestamp64Milli({cutoff:Int64}, 'UTC')`,
    { cutoff },
  );
  const ids = rows.map((r) => r.comment_id);
  if (ids.length > 0) await wh.command('DELETE FROM issue_comments WHERE comment_id IN {ids:Array(String)}', { ids });
  return ids.length;
}
