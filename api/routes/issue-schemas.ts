/**
 * The issues API's schemas: requests (validated in handlers, so errors name
 * the field) and responses (serialized by, and documented in /openapi.json).
 */
import { z } from 'zod';
import { IssueSorts, IssueStatuses } from '@strix/contracts';
import { GroupingExplanation } from '@strix/grouping';
import { allowedTransitions, type IssueService, type ScanSummary } from '@strix/issues';
import { DataModeField, AppId, bodyTime, legacyIsDevField } from '@strix/http';
import { isLatestVersion } from '../latest-versions.ts';
import { EventJson, eventJson } from './events.ts';

export const IssueLimits = {
  maxListLimit: 200,
  maxOffset: 10_000,
  maxOccurrences: 500,
  maxCommentChars: 10_000,
  maxAuthorNameChars: 200,
  maxMergeSources: 50,
  maxTextChars: 200,
} as const;

const statusList = z.string().transform((v, ctx) => {
  const statuses = v.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = statuses.filter((s) => !(IssueStatuses as readonly string[]).includes(s));
  if (unknown.length > 0) {
    ctx.addIssue({ code: 'custom', message: `unknown status ${unknown.join(', ')}; use ${IssueStatuses.join(', ')}` });
    return z.NEVER;
  }
  return statuses as (typeof IssueStatuses)[number][];
});

/** The issue list takes the read scope but its times: an issue is not an event in a window. */
export const IssueListQuery = z.object({
  status: statusList.optional().meta({ description: `Comma-separated: ${IssueStatuses.join(', ')}` }),
  data_mode: DataModeField.optional(),
  app_id: AppId.optional(),
  ...legacyIsDevField,
  q: z.string().min(1).max(IssueLimits.maxTextChars, { message: `must be at most ${IssueLimits.maxTextChars} characters` }).optional(),
  sort: z.enum(IssueSorts).default('last_seen'),
  limit: z.coerce.number().int().min(1).max(IssueLimits.maxListLimit).default(50),
  offset: z.coerce.number().int().min(0).max(IssueLimits.maxOffset).default(0),
});

export const IssueDetailQuery = z.object({
  occurrences: z.coerce.number().int().min(1).max(IssueLimits.maxOccurrences).default(50),
  session_id: z.string().min(1).optional(),
});

export const StatusChangeBody = z
  .object({
    status: z.enum(IssueStatuses).optional(),
    resolved_at_version: z.string().min(1).max(256).optional(),
    snoozed_until: bodyTime.nullable().optional(),
  })
  .strict()
  .refine((b) => b.status !== undefined || b.resolved_at_version !== undefined || b.snoozed_until !== undefined, {
    message: 'send at least one of status, resolved_at_version, snoozed_until',
  });

const commentText = z
  .string()
  .min(1, { message: 'must not be empty' })
  .max(IssueLimits.maxCommentChars, { message: `must be at most ${IssueLimits.maxCommentChars} characters` });

export const CommentBody = z
  .object({
    body: commentText,
    author: z
      .object({
        type: z.enum(['user', 'agent']),
        name: z.string().min(1).max(IssueLimits.maxAuthorNameChars, { message: `must be at most ${IssueLimits.maxAuthorNameChars} characters` }),
      })
      .optional(),
  })
  .strict();

export const CommentEditBody = z.object({ body: commentText }).strict();

export const MergeBody = z
  .object({
    source_ids: z
      .array(z.string().min(1))
      .min(1, { message: 'must name at least one issue' })
      .max(IssueLimits.maxMergeSources, { message: `must name at most ${IssueLimits.maxMergeSources} issues` }),
  })
  .strict();

export const UnmergeBody = z.object({ fingerprint: z.string().min(1) }).strict();

type Detail = Awaited<ReturnType<IssueService['detail']>>;
type IssueRow = Detail['issue'];
type IssueStats = NonNullable<Detail['stats']>;

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : iso(ms));

const text = z.string();
const count = z.number().int();
const time = z.string().meta({ description: 'ISO 8601' });
const maybeTime = time.nullable();

export const IssueJson = z.object({
  id: text,
  app_id: text,
  is_dev: z.boolean(),
  title: text,
  culprit: text,
  exception_type: text,
  status: z.enum(IssueStatuses),
  allowed_statuses: z.array(z.enum(IssueStatuses)).meta({ description: 'The statuses a person may move the issue to now (PATCH refuses the others)' }),
  resolved_at: maybeTime,
  resolved_at_version: text.nullable(),
  regressed_at: maybeTime,
  regressed_in_version: text.nullable(),
  snoozed_until: maybeTime,
  grouping_config: text,
  created_at: time,
  updated_at: time,
  occurrences: count,
  users: count,
  first_seen: maybeTime,
  last_seen: maybeTime,
  last_app_version: text.nullable(),
  first_app_version: text.nullable().meta({ description: 'The app version of its earliest error' }),
  is_latest_app_version: z
    .boolean()
    .nullable()
    .meta({ description: "Whether last_app_version is its app's latest version (latest_app_version of the app); null while either is unknown" }),
});

/** `latest`: each app's latest version (`latestAppVersions`). */
export function issueJson(issue: IssueRow, stats: Omit<IssueStats, 'project_id' | 'issue_id'> | undefined, latest: ReadonlyMap<string, string>): z.input<typeof IssueJson> {
  return {
    id: issue.issue_id,
    app_id: issue.app_id,
    is_dev: issue.is_dev,
    title: issue.title,
    culprit: issue.culprit,
    exception_type: issue.exception_type,
    status: issue.status,
    allowed_statuses: [...allowedTransitions(issue.status)],
    resolved_at: isoOrNull(issue.resolved_at),
    resolved_at_version: issue.resolved_at_version || null,
    regressed_at: isoOrNull(issue.regressed_at),
    regressed_in_version: issue.regressed_in_version || null,
    snoozed_until: isoOrNull(issue.snoozed_until),
    grouping_config: issue.grouping_config,
    created_at: iso(issue.created_at),
    updated_at: iso(issue.updated_at),
    occurrences: stats?.occurrences ?? 0,
    users: stats?.users ?? 0,
    first_seen: isoOrNull(stats?.first_seen),
    last_seen: isoOrNull(stats?.last_seen),
    last_app_version: stats?.last_app_version || null,
    first_app_version: stats?.first_app_version || null,
    is_latest_app_version: isLatestVersion(stats?.last_app_version ?? '', latest.get(issue.app_id)),
  };
}

export const CommentJson = z.object({
  id: text,
  issue_id: text,
  author_type: z.enum(['user', 'agent']),
  author_name: text,
  body: text,
  created_at: time,
  edited_at: maybeTime,
});

export function commentJson(c: Detail['comments'][number]): z.input<typeof CommentJson> {
  return { id: c.comment_id, issue_id: c.issue_id, author_type: c.author_type, author_name: c.author_name, body: c.body, created_at: iso(c.created_at), edited_at: isoOrNull(c.edited_at) };
}

const OccurrenceJson = z.object({ fingerprint: text, session_id: text, user_id: text, app_version: text, environment: text, first_seen: time, last_seen: time });

const occurrenceJson = (o: Detail['occurrences'][number]): z.input<typeof OccurrenceJson> => ({ ...o, first_seen: iso(o.first_seen), last_seen: iso(o.last_seen) });

const FingerprintJson = z.object({ fingerprint: text, grouping_config: text, created_at: time });

const fingerprintJson = (f: Detail['fingerprints'][number]): z.input<typeof FingerprintJson> => ({
  fingerprint: f.fingerprint,
  grouping_config: f.grouping_config,
  created_at: iso(f.created_at),
});

export const IssueList = z.object({ issues: z.array(IssueJson), total: count, limit: count, offset: count });

export const IssueDetail = z.object({
  issue: IssueJson,
  fingerprints: z.array(FingerprintJson),
  occurrences: z.array(OccurrenceJson),
  comments: z.array(CommentJson),
  session: z.object({ session_id: text.nullable(), events: z.array(EventJson) }),
  grouping_explanation: GroupingExplanation.nullable().meta({ description: 'Why the issue’s latest fingerprint groups its events: the rule that decided and what contributed' }),
});

export function issueDetailJson(d: Detail, latest: ReadonlyMap<string, string>): z.input<typeof IssueDetail> {
  // Older issue services answer without an explanation; the field is then null, never absent.
  const explanation = (d as { grouping_explanation?: GroupingExplanation | null }).grouping_explanation ?? null;
  return {
    issue: issueJson(d.issue, d.stats, latest),
    fingerprints: d.fingerprints.map(fingerprintJson),
    occurrences: d.occurrences.map(occurrenceJson),
    comments: d.comments.map(commentJson),
    session: { session_id: d.session.session_id, events: d.session.events.map((e) => eventJson(e, latest)) },
    grouping_explanation: explanation,
  };
}

export const ScanSummaryJson = z.object({
  project_id: text,
  window: z.object({ from: time, to: time }),
  errors: count,
  fingerprints: count,
  created: z.array(z.object({ id: text, title: text })),
  updated: z.array(text),
  regressed: z.array(z.object({ id: text, version: text })),
  new_occurrences: count,
});

export function scanJson(s: ScanSummary): z.input<typeof ScanSummaryJson> {
  return {
    project_id: s.projectId,
    window: { from: iso(s.from), to: iso(s.to) },
    errors: s.errors,
    fingerprints: s.fingerprints,
    created: s.created.map((c) => ({ id: c.issue_id, title: c.title })),
    updated: s.updated,
    regressed: s.regressed.map((r) => ({ id: r.issue_id, version: r.version })),
    new_occurrences: s.newOccurrences,
  };
}
