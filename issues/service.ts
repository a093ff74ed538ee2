import { type Warehouse, type IssueStatus } from '@strix/contracts';
import type { GroupingExplanation } from '@strix/grouping';
import {
  commentsOf,
  fingerprintsOfIssues,
  latestIssueError,
  listIssues,
  queryEvents,
  recentOccurrences,
  statsById,
  storedErrorAt,
  writeIssues,
  type IssueListFilter,
  type IssueRow,
} from '@strix/warehouse';
import { addComment, deleteComment, editComment, listComments, type CommentAuthor } from './comments.ts';
import { IssueError } from './errors.ts';
import { explainStoredError } from './grouping-explanation.ts';
import { checkTransition } from './lifecycle.ts';
import { liveIssue, mergeIssues, unmergeFingerprint } from './merge.ts';
import { ProjectLock } from './project-lock.ts';
import { defaultScanSettings, scanProject, type ScanSettings, type ScanSummary } from './scan.ts';

export interface IssueServiceDeps {
  warehouse: Warehouse;
  now?: () => number;
  scan?: Partial<ScanSettings>;
}

export interface StatusChange {
  status?: IssueStatus;
  /** With `resolved`: the app version that carries the fix (regressions are judged against it). */
  resolvedAtVersion?: string;
  /** Epoch ms, or null to wake the issue now. */
  snoozedUntil?: number | null;
}

const day = 86_400_000;

/**
 * Error tracking for the API and the scheduled jobs: one instance per process,
 * so every read-then-write operation on a project (scan, status change, merge,
 * unmerge) runs one at a time.
 */
export class IssueService {
  private readonly wh: Warehouse;
  private readonly now: () => number;
  private readonly settings: ScanSettings;
  private readonly lock = new ProjectLock();

  constructor(deps: IssueServiceDeps) {
    this.wh = deps.warehouse;
    this.now = deps.now ?? Date.now;
    this.settings = { ...defaultScanSettings, ...deps.scan };
  }

  scan(projectId: string): Promise<ScanSummary> {
    return this.lock.run(projectId, () => scanProject(this.wh, projectId, this.now(), this.settings));
  }

  /** The projects given, one after another (the scheduled scan in the embedded deployment). */
  async scanAll(projectIds: readonly string[]): Promise<ScanSummary[]> {
    const summaries: ScanSummary[] = [];
    for (const projectId of projectIds) summaries.push(await this.scan(projectId));
    return summaries;
  }

  list(filter: IssueListFilter) {
    return listIssues(this.wh, filter);
  }

  /** A live issue and its counts. */
  async get(projectId: string, issueId: string) {
    const issue = await liveIssue(this.wh, projectId, issueId);
    const [stats] = await statsById(this.wh, projectId, [issueId]);
    return { issue, stats };
  }

  /**
   * An issue with its counts, fingerprints, latest occurrences, comments, one session's
   * event stream, and why its latest error was grouped into it.
   */
  async detail(projectId: string, issueId: string, options: { occurrences: number; sessionId?: string }) {
    const { issue, stats } = await this.get(projectId, issueId);
    const fingerprints = await fingerprintsOfIssues(this.wh, projectId, [issueId]);
    const occurrences = await recentOccurrences(this.wh, projectId, fingerprints.map((f) => f.fingerprint), options.occurrences);
    // The occurrences come newest first: the first one already says where the latest error is.
    const [latest] = occurrences;
    const latestError = latest
      ? await storedErrorAt(this.wh, projectId, latest.fingerprint, latest.last_seen)
      : await latestIssueError(this.wh, projectId, fingerprints.map((f) => f.fingerprint));
    const grouping_explanation: GroupingExplanation | null = latestError ? explainStoredError(latestError) : null;
    const comments = await commentsOf(this.wh, projectId, [issueId]);
    const focus = options.sessionId ?? occurrences.find((o) => o.session_id !== '')?.session_id;
    const around = occurrences.find((o) => o.session_id === focus);
    // A session is hours, not days: a day either side of its occurrence bounds the read.
    const sessionEvents =
      focus === undefined
        ? []
        : await queryEvents(
            this.wh,
            {
              projectId,
              isDev: issue.is_dev,
              sessionId: focus,
              fromMs: (around?.first_seen ?? stats?.first_seen ?? this.now()) - day,
              toMs: (around?.last_seen ?? stats?.last_seen ?? this.now()) + day,
            },
            500,
          );
    return { issue, stats, fingerprints, occurrences, comments, session: { session_id: focus ?? null, events: sessionEvents.reverse() }, grouping_explanation };
  }

  /** Moves an issue along the lifecycle and/or snoozes it; a refused move is a conflict naming the allowed ones. */
  changeStatus(projectId: string, issueId: string, change: StatusChange): Promise<IssueRow> {
    return this.lock.run(projectId, async () => {
      const issue = await liveIssue(this.wh, projectId, issueId);
      const now = this.now();
      const next: IssueRow = { ...issue, updated_at: now };
      const to = change.status;
      if (to !== undefined && to !== issue.status) {
        const check = checkTransition(issue.status, to);
        if (!check.ok) throw new IssueError('conflict', check.reason);
        next.status = to;
        if (to === 'resolved') next.resolved_at = now;
        if (to === 'new' || to === 'in_progress') {
          next.resolved_at = null;
          next.resolved_at_version = '';
        }
      }
      if (change.resolvedAtVersion !== undefined) {
        if (next.status !== 'resolved') throw new IssueError('invalid', 'resolved_at_version: only an issue being resolved (or resolved) takes a fix version');
        next.resolved_at_version = change.resolvedAtVersion;
      }
      if (change.snoozedUntil !== undefined) {
        if (change.snoozedUntil !== null && next.status === 'resolved') {
          throw new IssueError('conflict', 'snoozed_until: a resolved issue cannot be snoozed; it already sends no alerts');
        }
        next.snoozed_until = change.snoozedUntil;
      }
      if (next.status === 'resolved') next.snoozed_until = null;
      await writeIssues(this.wh, [next]);
      return next;
    });
  }

  merge(projectId: string, targetId: string, sourceIds: readonly string[]): Promise<IssueRow> {
    return this.lock.run(projectId, () => mergeIssues(this.wh, projectId, targetId, sourceIds, this.now()));
  }

  unmerge(projectId: string, issueId: string, fingerprint: string): Promise<IssueRow> {
    return this.lock.run(projectId, () => unmergeFingerprint(this.wh, projectId, issueId, fingerprint, this.now()));
  }

  listComments(projectId: string, issueId: string) {
    return listComments(this.wh, projectId, issueId);
  }

  addComment(projectId: string, issueId: string, author: CommentAuthor, body: string) {
    return this.lock.run(projectId, () => addComment(this.wh, projectId, issueId, author, body, this.now()));
  }

  editComment(projectId: string, issueId: string, commentId: string, body: string) {
    return this.lock.run(projectId, () => editComment(this.wh, projectId, issueId, commentId, body, this.now()));
  }

  deleteComment(projectId: string, issueId: string, commentId: string) {
    return this.lock.run(projectId, () => deleteComment(this.wh, projectId, issueId, commentId, this.now()));
  }
}
