import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { MailerError, type Mailer, type MailMessage, type SentMail, type Warehouse, type IssueAlertFrequency, type DigestRecipient, type DirectoryProject, type ProjectDirectory } from '@strix/contracts';
import { advanceIssueDigestCursor, lastIssueDigestAttempt, listDigestIssues, listIssueDigestCursors, recordIssueDigestAttempt, type DigestIssues } from '@strix/warehouse';
import { composeIssueDigest } from './digest.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** How long each frequency's window is; `none` never sends. */
export const issueAlertIntervalsMs: Readonly<Record<IssueAlertFrequency, number | undefined>> = {
  none: undefined,
  hourly: HOUR_MS,
  '6_hourly': 6 * HOUR_MS,
  daily: DAY_MS,
  weekly: 7 * DAY_MS,
};

// The epoch began on a Thursday; weekly slots are shifted to start on Mondays (00:00 UTC).
const slotOffsetMs: Readonly<Record<IssueAlertFrequency, number>> = {
  none: 0,
  hourly: 0,
  '6_hourly': 0,
  daily: 0,
  weekly: 4 * DAY_MS,
};

/**
 * The end of the latest whole slot at `now`: windows are aligned, so an hourly
 * job sends a daily digest once per day whenever in the day it runs, and a
 * retry inside the slot covers the same window (same digest id, same mail).
 */
export function issueDigestWindowEnd(frequency: IssueAlertFrequency, now: number): number | undefined {
  const interval = issueAlertIntervalsMs[frequency];
  if (interval === undefined) return undefined;
  const offset = slotOffsetMs[frequency];
  return Math.floor((now - offset) / interval) * interval + offset;
}

/** Stable per (project, recipient, window): every retry of a digest is the same message. */
export function issueDigestId(projectId: string, email: string, fromMs: number, toMs: number): string {
  return createHash('sha256').update(`${projectId}\n${email}\n${fromMs}\n${toMs}`).digest('hex').slice(0, 32);
}

export interface IssueNotifyDeps {
  warehouse: Warehouse;
  /** Projects, their alert frequency and their digest recipients. */
  directory: ProjectDirectory;
  mailer: Mailer;
  /** The From: header, e.g. `Strix <strix@example.com>`. */
  from: string;
  /** Base URL of the dashboard, for the links in a digest. */
  publicUrl: string;
  now?: () => number;
  /** Tries per message within one run; only retryable failures are tried again. */
  retry?: { attempts: number; baseDelayMs: number };
}

export interface IssueDigestFailure {
  project_id: string;
  recipient: string;
  digest_id: string;
  attempts: number;
  error: string;
}

export interface IssueDigestSummary {
  /** The instant the slots were computed from (epoch ms). */
  asOf: number;
  projectsChecked: number;
  /** Recipients whose window had ended and had not been notified of it. */
  recipientsDue: number;
  sent: number;
  /** Due windows with nothing to report: no mail, the cursor moved on. */
  empty: number;
  /** Digests a previous run sent but could not record as notified. */
  alreadySent: number;
  failed: number;
  failures: IssueDigestFailure[];
  // A JSON object for the run summary.
  [key: string]: unknown;
}

/** Thrown after every recipient was tried, when some could not be sent: the run fails and is retried. */
export class IssueDigestDeliveryError extends Error {
  constructor(readonly summary: IssueDigestSummary) {
    const names = summary.failures.map((f) => `${f.recipient} (project ${f.project_id}, ${f.attempts} attempts): ${f.error}`);
    super(`issue digest not delivered to ${summary.failures.length} recipient(s): ${names.join('; ')}`);
    this.name = 'IssueDigestDeliveryError';
  }
}

/** How many issues one mail lists; the subject still counts them all. */
const MAX_LISTED = 50;
const MAX_ERROR_CHARS = 1_000;

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error)).slice(0, MAX_ERROR_CHARS);
const retryable = (error: unknown) => !(error instanceof MailerError) || error.retry;

interface Window {
  readonly from: number;
  readonly to: number;
}

/**
 * Emails each team member of every project a digest of its new and regressed
 * production issues with activity since the last digest they were sent.
 *
 * Per recipient, a cursor records the end of the last window sent; it moves
 * only after the mail was accepted (or the window turned out empty), so a failed
 * address gets the same window on the next run while the others move on. Every
 * attempt is recorded in issue_digests. Failures do not stop the run: every
 * recipient is tried, then an IssueDigestDeliveryError names the ones that failed.
 */
export async function sendIssueDigests(deps: IssueNotifyDeps): Promise<IssueDigestSummary> {
  const now = deps.now ?? Date.now;
  const retry = deps.retry ?? { attempts: 3, baseDelayMs: 1_000 };
  const wh = deps.warehouse;
  const asOf = now();
  const summary: IssueDigestSummary = {
    asOf, projectsChecked: 0, recipientsDue: 0, sent: 0, empty: 0, alreadySent: 0, failed: 0, failures: [],
  };

  for (const project of await deps.directory.listProjects()) {
    summary.projectsChecked += 1;
    const frequency = project.issue_alert_frequency;
    const interval = issueAlertIntervalsMs[frequency];
    const windowTo = issueDigestWindowEnd(frequency, asOf);
    if (frequency === 'none' || interval === undefined || windowTo === undefined) continue;

    const members = await deps.directory.digestRecipients(project.project_id);
    if (members.length === 0) continue;
    const cursors = await listIssueDigestCursors(wh, project.project_id);
    // Recipients who joined at the same time share a window: query it once.
    const contents = new Map<string, Promise<DigestIssues>>();
    let appNames: Promise<Map<string, string>> | undefined;

    for (const member of members) {
      const cursor = cursors.get(member.email);
      // A new member starts at most one interval back; a re-added one never before it rejoined.
      const from = cursor === undefined ? Math.max(member.created_at, windowTo - interval) : Math.max(cursor, member.created_at);
      if (windowTo <= from) continue;
      summary.recipientsDue += 1;
      const window: Window = { from, to: windowTo };

      const key = `${window.from}:${window.to}`;
      const pending =
        contents.get(key) ??
        listDigestIssues(wh, { projectId: project.project_id, fromMs: window.from, toMs: window.to, nowMs: asOf, limit: MAX_LISTED });
      contents.set(key, pending);
      const content = await pending;
      const advance = () =>
        advanceIssueDigestCursor(wh, { projectId: project.project_id, email: member.email, notifiedTo: window.to, now: now() });

      if (content.issues.length === 0) {
        await advance();
        summary.empty += 1;
        continue;
      }
      appNames ??= deps.directory.appNames(project.project_id);
      const outcome = await deliver(deps, retry, now, {
        project, member, window, content, frequency, appNames: await appNames,
      });
      if (outcome.status === 'failed') {
        summary.failed += 1;
        summary.failures.push(outcome.failure);
        continue;
      }
      await advance();
      if (outcome.status === 'sent') summary.sent += 1;
      else summary.alreadySent += 1;
    }
  }

  if (summary.failures.length > 0) throw new IssueDigestDeliveryError(summary);
  return summary;
}

interface Delivery {
  readonly project: DirectoryProject;
  readonly member: DigestRecipient;
  readonly window: Window;
  readonly content: DigestIssues;
  readonly frequency: Exclude<IssueAlertFrequency, 'none'>;
  readonly appNames: ReadonlyMap<string, string>;
}

type DeliveryOutcome =
  | { status: 'sent' }
  | { status: 'already_sent' }
  | { status: 'failed'; failure: IssueDigestFailure };

/** Sends one digest, retrying retryable failures with exponential backoff; records every attempt. */
async function deliver(
  deps: IssueNotifyDeps,
  retry: { attempts: number; baseDelayMs: number },
  now: () => number,
  d: Delivery,
): Promise<DeliveryOutcome> {
  const wh = deps.warehouse;
  const projectId = d.project.project_id;
  const digestId = issueDigestId(projectId, d.member.email, d.window.from, d.window.to);
  const previous = await lastIssueDigestAttempt(wh, projectId, digestId);
  // Sent, but the cursor write after it failed: do not mail the same digest twice.
  if (previous?.status === 'sent') return { status: 'already_sent' };

  const composed = composeIssueDigest({
    projectName: d.project.name,
    projectId: d.project.project_id,
    frequency: d.frequency,
    publicUrl: deps.publicUrl,
    windowFrom: d.window.from,
    windowTo: d.window.to,
    issues: d.content.issues,
    totals: d.content.totals,
    appNames: d.appNames,
  });
  const mail: MailMessage = {
    from: deps.from,
    to: d.member.email,
    ...composed,
    messageId: `<digest-${digestId}@strix>`,
    headers: {
      // RFC 3834: tells vacation responders and ticket systems not to reply.
      'Auto-Submitted': 'auto-generated',
      'X-Strix-Project': projectId,
      'X-Strix-Digest': digestId,
    },
  };
  const record = {
    project_id: projectId,
    digest_id: digestId,
    recipient: d.member.email,
    window_from: d.window.from,
    window_to: d.window.to,
    issues: d.content.totals.new + d.content.totals.regressed,
  };

  const first = (previous?.attempt ?? 0) + 1;
  const tries = Math.max(1, retry.attempts);
  let attempts = 0;
  let lastError: unknown;
  while (attempts < tries) {
    const attempt = first + attempts;
    attempts += 1;
    let sent: SentMail | undefined;
    try {
      sent = await deps.mailer.send(mail);
    } catch (error) {
      lastError = error;
    }
    if (sent) {
      await recordIssueDigestAttempt(wh, { ...record, attempt, status: 'sent', error: '', message_id: sent.messageId, at: now() });
      return { status: 'sent' };
    }
    await recordIssueDigestAttempt(wh, {
      ...record, attempt, status: 'failed', error: errorText(lastError), message_id: mail.messageId, at: now(),
    });
    if (!retryable(lastError) || attempts === tries) break;
    await sleep(retry.baseDelayMs * 2 ** (attempts - 1));
  }
  return {
    status: 'failed',
    failure: { project_id: projectId, recipient: d.member.email, digest_id: digestId, attempts, error: errorText(lastError) },
  };
}
