import { randomUUID } from 'node:crypto';
import type { Warehouse } from '@strix/contracts';
import { commentById, commentsOf, writeComments, type CommentRow } from '@strix/warehouse';
import { IssueError } from './errors.ts';
import { liveIssue } from './merge.ts';

export interface CommentAuthor {
  type: CommentRow['author_type'];
  name: string;
}

/** Soft-deleted comments are deleted for good this long after (the comment-purge job). */
export const commentPurgeAfterMs = 7 * 24 * 3_600_000;

export async function addComment(wh: Warehouse, projectId: string, issueId: string, author: CommentAuthor, body: string, now: number): Promise<CommentRow> {
  await liveIssue(wh, projectId, issueId);
  const comment: CommentRow = {
    project_id: projectId,
    comment_id: `cmt_${randomUUID().replaceAll('-', '').slice(0, 24)}`,
    issue_id: issueId,
    author_type: author.type,
    author_name: author.name,
    body,
    created_at: now,
    edited_at: null,
    deleted_at: null,
  };
  await writeComments(wh, [comment]);
  return comment;
}

export async function listComments(wh: Warehouse, projectId: string, issueId: string): Promise<CommentRow[]> {
  await liveIssue(wh, projectId, issueId);
  return commentsOf(wh, projectId, [issueId]);
}

/** A live comment of the issue; a comment moved by a merge is found under its new issue only. */
async function commentOf(wh: Warehouse, projectId: string, issueId: string, commentId: string): Promise<CommentRow> {
  const comment = await commentById(wh, projectId, commentId);
  if (!comment || comment.issue_id !== issueId || comment.deleted_at !== null) {
    throw new IssueError('not_found', `no comment ${commentId} on issue ${issueId}`);
  }
  return comment;
}

export async function editComment(wh: Warehouse, projectId: string, issueId: string, commentId: string, body: string, now: number): Promise<CommentRow> {
  const edited = { ...(await commentOf(wh, projectId, issueId, commentId)), body, edited_at: now };
  await writeComments(wh, [edited]);
  return edited;
}

/** Soft delete: gone from every read at once, deleted from storage after `commentPurgeAfterMs`. */
export async function deleteComment(wh: Warehouse, projectId: string, issueId: string, commentId: string, now: number): Promise<void> {
  await writeComments(wh, [{ ...(await commentOf(wh, projectId, issueId, commentId)), deleted_at: now }]);
}
