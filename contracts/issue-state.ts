/**
 * What people edit about issues — status, snoozes, fix versions, comments,
 * and which fingerprints an issue holds (merge and unmerge) — needs
 * transactions: two people, or a person and the scan, change one issue at
 * once. So it lives in the control plane (PostgreSQL); occurrences, counts and
 * every event stay in the warehouse. The warehouse keeps a copy of this state
 * for analysts' SQL and for the issue list's join with counts, written after
 * each change and repaired from the rows still marked unmirrored.
 */
import { z } from 'zod';
import { CommentAuthorTypes, IssueStatuses } from './issues.ts';

const ms = z.coerce.number().int();
const nullableMs = z.union([z.null(), ms]);

/** An issue's state (times in epoch ms). A merged-away issue is a tombstone naming the survivor in `merged_into`. */
export const IssueRow = z.object({
  project_id: z.string(),
  issue_id: z.string(),
  app_id: z.string(),
  is_dev: z.coerce.boolean(),
  title: z.string(),
  culprit: z.string(),
  exception_type: z.string(),
  grouping_config: z.string(),
  status: z.enum(IssueStatuses),
  resolved_at: nullableMs,
  resolved_at_version: z.string(),
  snoozed_until: nullableMs,
  regressed_at: nullableMs,
  regressed_in_version: z.string(),
  created_at: ms,
  updated_at: ms,
  merged_into: z.string(),
});
export type IssueRow = z.infer<typeof IssueRow>;

/** Which issue a fingerprint's errors go to. */
export const FingerprintRow = z.object({
  project_id: z.string(),
  fingerprint: z.string(),
  issue_id: z.string(),
  grouping_config: z.string(),
  created_at: ms,
});
export type FingerprintRow = z.infer<typeof FingerprintRow>;

/** A markdown comment on an issue (times in epoch ms; deleted_at set on a soft delete). */
export const CommentRow = z.object({
  project_id: z.string(),
  comment_id: z.string(),
  issue_id: z.string(),
  author_type: z.enum(CommentAuthorTypes),
  author_name: z.string(),
  body: z.string(),
  created_at: ms,
  edited_at: nullableMs,
  deleted_at: nullableMs,
});
export type CommentRow = z.infer<typeof CommentRow>;

/** Reads of one project's issue state; an id of another project finds nothing. */
export interface IssueStateReads {
  /** Issues by id, merged-away tombstones included (callers follow `merged_into`). */
  issues(projectId: string, ids: readonly string[]): Promise<IssueRow[]>;
  /** The routes of the given fingerprints (unknown ones are absent). */
  routes(projectId: string, fingerprints: readonly string[]): Promise<FingerprintRow[]>;
  /** The fingerprints routed to the given issues, oldest first. */
  routesOf(projectId: string, issueIds: readonly string[]): Promise<FingerprintRow[]>;
  /** The comments of the given issues, oldest first; soft-deleted ones only when asked. */
  comments(projectId: string, issueIds: readonly string[], includeDeleted?: boolean): Promise<CommentRow[]>;
  comment(projectId: string, commentId: string): Promise<CommentRow | undefined>;
}

/** Reads and writes inside one transaction. Every write marks its rows for the warehouse's copy. */
export interface IssueStateTx extends IssueStateReads {
  /** Like `issues`, holding each row until the transaction ends, so what is read is what is changed. */
  lockIssues(projectId: string, ids: readonly string[]): Promise<IssueRow[]>;
  /** Adds issues; an id already taken (a scan that raced this one) keeps its stored state. */
  insertIssues(rows: readonly IssueRow[]): Promise<void>;
  /** Writes issues whole, replacing the stored ones. */
  saveIssues(rows: readonly IssueRow[]): Promise<void>;
  /** Adds routes; a fingerprint already routed keeps its route. */
  insertRoutes(rows: readonly FingerprintRow[]): Promise<void>;
  /** Writes routes whole (a merge re-points them). */
  saveRoutes(rows: readonly FingerprintRow[]): Promise<void>;
  saveComments(rows: readonly CommentRow[]): Promise<void>;
}

/** A row to copy into the warehouse, with the version that orders its copies there. */
export type Versioned<Row> = Row & { readonly version: number };

/** Changed rows the warehouse has not been given yet. */
export interface UnmirroredIssueState {
  issues: Versioned<IssueRow>[];
  routes: Versioned<FingerprintRow>[];
  comments: Versioned<CommentRow>[];
}

export interface IssueStateStore extends IssueStateTx {
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (tx: IssueStateTx) => Promise<T>): Promise<T>;
  /** Up to `limit` rows of each kind changed since they were last copied to the warehouse (of one project, or all). */
  unmirrored(limit: number, projectId?: string): Promise<UnmirroredIssueState>;
  /** Marks rows copied, unless they changed again since (their version moved on). */
  markMirrored(rows: UnmirroredIssueState): Promise<void>;
  /** Comments soft-deleted before `cutoff` (epoch ms), of every project, up to `limit`. */
  deletedComments(cutoff: number, limit: number): Promise<{ project_id: string; comment_id: string }[]>;
  /** Deletes the given comments for good. */
  purgeComments(comments: readonly { project_id: string; comment_id: string }[]): Promise<void>;
}
