import { randomUUID } from 'node:crypto';
import type { CommentRow, IssueStateStore, IssueStateTx } from '@strix/contracts';
import { IssueError } from './errors.ts';
import { liveIssue, lockLiveIssues } from './merge.ts';

export interface CommentAuthor {
  type: CommentRow['author_type'];
  name: string;
}

/** Soft-deleted comments are deleted for good this long after (the comment-purge job). */
export const commentPurgeAfterMs = 7 * 24 * 3_600_000;

export function addComment(state: IssueStateStore, projectId: string, issueId: string, author: CommentAuthor, body: string, now: number): Promise<CommentRow> {
  return state.transaction(async (tx) => {
    // Locked: a merge under way either moved the issue's comments already (then this one is refused) or waits.
    await lockLiveIssues(tx, projectId, [issueId]);
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
    await tx.saveComments([comment]);
    return comment;
  });
}

export async function listComments(state: IssueStateStore, projectId: string, issueId: string): Promise<CommentRow[]> {
  await liveIssue(state, projectId, issueId);
  return state.comments(projectId, [issueId]);
}

/**
 * A live comment of the issue, its issue locked: a comment a merge moved is
 * found under its new issue only, and cannot be moved back by an edit.
 */
async function lockedComment(tx: IssueStateTx, projectId: string, issueId: string, commentId: string): Promise<CommentRow> {
  await tx.lockIssues(projectId, [issueId]);
  const comment = await tx.comment(projectId, commentId);
  if (!comment || comment.issue_id !== issueId || comment.deleted_at !== null) {
    throw new IssueError('not_found', `no comment ${commentId} on issue ${issueId}`);
  }
  return comment;
}

export function editComment(state: IssueStateStore, projectId: string, issueId: string, commentId: string, body: string, now: number): Promise<CommentRow> {
  return state.transaction(async (tx) => {
    const edited = { ...(await lockedComment(tx, projectId, issueId, commentId)), body, edited_at: now };
    await tx.saveComments([edited]);
    return edited;
  });
}

/** Soft delete: gone from every read at once, deleted from storage after `commentPurgeAfterMs`. */
export async function deleteComment(state: IssueStateStore, projectId: string, issueId: string, commentId: string, now: number): Promise<void> {
  await state.transaction(async (tx) => {
    await tx.saveComments([{ ...(await lockedComment(tx, projectId, issueId, commentId)), deleted_at: now }]);
  });
}
