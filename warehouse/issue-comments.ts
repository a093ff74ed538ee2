import { z } from 'zod';
import { CommentRow, type Versioned, type Warehouse } from '@strix/contracts';
import { queryRows } from './query-rows.ts';

const columns = `project_id, comment_id, issue_id, author_type, author_name, body, toUnixTimestamp64Milli(created_at) AS created_ms,
  if(isNull(edited_at), NULL, toUnixTimestamp64Milli(assumeNotNull(edited_at))) AS edited_ms,
  if(isNull(deleted_at), NULL, toUnixTimestamp64Milli(assumeNotNull(deleted_at))) AS deleted_ms, version`;

/** A comment as read back, with its version: the `_ms` aliases (an alias named like its column would shadow it) renamed. */
const MirroredComment = z.preprocess(
  (row) => {
    if (typeof row !== 'object' || row === null) return row;
    const { created_ms, edited_ms, deleted_ms, ...rest } = row as Record<string, unknown>;
    return { ...rest, created_at: created_ms, edited_at: edited_ms, deleted_at: deleted_ms };
  },
  CommentRow.extend({ version: z.coerce.number() }),
);

/** Copies comments from the control plane, at the versions it gave each row. */
export async function mirrorComments(wh: Warehouse, rows: readonly Versioned<CommentRow>[]): Promise<void> {
  if (rows.length > 0) await wh.insert('issue_comments', rows);
}

/** Every project's comments as the warehouse holds them (soft-deleted ones included), with their versions. */
export async function storedComments(wh: Warehouse): Promise<Versioned<CommentRow>[]> {
  return queryRows(wh, 'issue comments', MirroredComment, `SELECT ${columns} FROM issue_comments FINAL ORDER BY project_id, comment_id`);
}

/** Deletes the copies of comments the control plane deleted for good. */
export async function deleteComments(wh: Warehouse, comments: readonly { project_id: string; comment_id: string }[]): Promise<void> {
  if (comments.length === 0) return;
  // Comment ids are random (`cmt_` and 96 bits): an id names one comment of one project.
  await wh.command('DELETE FROM issue_comments WHERE comment_id IN {ids:Array(String)}', { ids: comments.map((c) => c.comment_id) });
}
