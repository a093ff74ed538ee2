import type { IssueRow, IssueStateStore, IssueStatus, Warehouse } from '@strix/contracts';
import type { GroupingExplanation } from '@strix/grouping';
import { deleteComments, latestIssueError, listIssues, queryEvents, recentOccurrences, statsById, storedErrorAt, type IssueListFilter } from '@strix/warehouse';
import { addComment, deleteComment, editComment, listComments, type CommentAuthor } from './comments.ts';
import { IssueError } from './errors.ts';
import { explainStoredError } from './grouping-explanation.ts';
import { checkTransition } from './lifecycle.ts';
import { liveIssue, lockLiveIssues, mergeIssues, unmergeFingerprint } from './merge.ts';
import { mirrorIssueState } from './mirror.ts';
import { ProjectLock } from './project-lock.ts';
import { defaultScanSettings, scanProject, type ScanSettings, type ScanSummary } from './scan.ts';

export interface IssueServiceDeps {
  warehouse: Warehouse;
  /** Issue state people edit (the control plane); the warehouse keeps occurrences, counts and a copy of this state. */
  state: IssueStateStore;
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
 * Error tracking for the API and the scheduled jobs. Changes of issue state
 * are transactions of the control plane, so two processes may change one
 * issue at once; each is then copied to the warehouse (the list and analysts
 * read the copy there). Within a process, operations that recompute counts
 * (scan, merge, unmerge) of a project run one at a time.
 */
export class IssueService {
  private readonly wh: Warehouse;
  private readonly state: IssueStateStore;
  private readonly now: () => number;
  private readonly settings: ScanSettings;
  private readonly lock = new ProjectLock();

  constructor(deps: IssueServiceDeps) {
    this.wh = deps.warehouse;
    this.state = deps.state;
    this.now = deps.now ?? Date.now;
    this.settings = { ...defaultScanSettings, ...deps.scan };
  }

  /**
   * Copies issue state changed in the control plane to the warehouse (of one
   * project, or of all). Every change calls it; it also repairs copies a crash
   * or an unreachable warehouse left behind.
   */
  mirror(projectId?: string): Promise<number> {
    return mirrorIssueState(this.wh, this.state, projectId);
  }

  /**
   * After a committed change: its copy. A failure leaves the rows marked for
   * the next copy (the project's next scan makes it), and does not undo or
   * fail the change itself.
   */
  private async copied<T>(projectId: string, result: T): Promise<T> {
    await this.mirror(projectId).catch((error: unknown) => console.error(`[strix] issue state of project ${projectId} not yet copied to the warehouse:`, error));
    return result;
  }

  scan(projectId: string): Promise<ScanSummary> {
    return this.lock.run(projectId, async () => this.copied(projectId, await scanProject(this.wh, this.state, projectId, this.now(), this.settings)));
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
    const issue = await liveIssue(this.state, projectId, issueId);
    const [stats] = await statsById(this.wh, projectId, [issueId]);
    return { issue, stats };
  }

  /**
   * An issue with its counts, fingerprints, latest occurrences, comments, one session's
   * event stream, and why its latest error was grouped into it.
   */
  async detail(projectId: string, issueId: string, options: { occurrences: number; sessionId?: string }) {
    const { issue, stats } = await this.get(projectId, issueId);
    const fingerprints = await this.state.routesOf(projectId, [issueId]);
    const occurrences = await recentOccurrences(this.wh, projectId, fingerprints.map((f) => f.fingerprint), options.occurrences);
    // The occurrences come newest first: the first one already says where the latest error is.
    const [latest] = occurrences;
    const latestError = latest
      ? await storedErrorAt(this.wh, projectId, latest.fingerprint, latest.last_seen)
      : await latestIssueError(this.wh, projectId, fingerprints.map((f) => f.fingerprint));
    const grouping_explanation: GroupingExplanation | null = latestError ? explainStoredError(latestError) : null;
    const comments = await this.state.comments(projectId, [issueId]);
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
  async changeStatus(projectId: string, issueId: string, change: StatusChange): Promise<IssueRow> {
    const changed = await this.state.transaction(async (tx) => {
      const [issue] = await lockLiveIssues(tx, projectId, [issueId]);
      if (!issue) throw new IssueError('not_found', `no issue ${issueId} in this project`);
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
      await tx.saveIssues([next]);
      return next;
    });
    return this.copied(projectId, changed);
  }

  merge(projectId: string, targetId: string, sourceIds: readonly string[]): Promise<IssueRow> {
    return this.lock.run(projectId, async () => this.copied(projectId, await mergeIssues(this.wh, this.state, projectId, targetId, sourceIds, this.now())));
  }

  unmerge(projectId: string, issueId: string, fingerprint: string): Promise<IssueRow> {
    return this.lock.run(projectId, async () => this.copied(projectId, await unmergeFingerprint(this.wh, this.state, projectId, issueId, fingerprint, this.now())));
  }

  listComments(projectId: string, issueId: string) {
    return listComments(this.state, projectId, issueId);
  }

  async addComment(projectId: string, issueId: string, author: CommentAuthor, body: string) {
    return this.copied(projectId, await addComment(this.state, projectId, issueId, author, body, this.now()));
  }

  async editComment(projectId: string, issueId: string, commentId: string, body: string) {
    return this.copied(projectId, await editComment(this.state, projectId, issueId, commentId, body, this.now()));
  }

  async deleteComment(projectId: string, issueId: string, commentId: string) {
    await this.copied(projectId, await deleteComment(this.state, projectId, issueId, commentId, this.now()));
  }

  /**
   * Deletes for good the comments soft-deleted before `cutoff` (epoch ms), in
   * every project: their warehouse copies first, so a run cut short leaves
   * them to the next one. Returns how many.
   */
  async purgeDeletedComments(cutoff: number): Promise<number> {
    let purged = 0;
    for (;;) {
      const batch = await this.state.deletedComments(cutoff, 1_000);
      if (batch.length === 0) return purged;
      await deleteComments(this.wh, batch);
      await this.state.purgeComments(batch);
      purged += batch.length;
    }
  }
}
