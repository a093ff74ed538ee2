/**
 * The issues API's request schemas (zod, validated in handlers so errors name
 * the field) and response schemas (JSON Schema, which fastify serializes by).
 */
import { z } from 'zod';
import { IssueSorts, IssueStatuses } from '@strix/contracts';
import { type CommentRow, type FingerprintRow, type IssueRow, type IssueStatsRow, type Occurrence } from '@strix/warehouse';
import { bodyTime } from '@strix/http';

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

export const IssueListQuery = z.object({
  status: statusList.optional(),
  app_id: z.string().min(1).optional(),
  is_dev: z.enum(['true', 'false']).default('false'),
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

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function issueJson(issue: IssueRow, stats: Omit<IssueStatsRow, 'project_id' | 'issue_id'> | undefined) {
  return {
    id: issue.issue_id,
    app_id: issue.app_id,
    is_dev: issue.is_dev,
    title: issue.title,
    culprit: issue.culprit,
    exception_type: issue.exception_type,
    status: issue.status,
    resolved_at: iso(issue.resolved_at),
    resolved_at_version: issue.resolved_at_version || null,
    regressed_at: iso(issue.regressed_at),
    regressed_in_version: issue.regressed_in_version || null,
    snoozed_until: iso(issue.snoozed_until),
    grouping_config: issue.grouping_config,
    created_at: iso(issue.created_at),
    updated_at: iso(issue.updated_at),
    occurrences: stats?.occurrences ?? 0,
    users: stats?.users ?? 0,
    first_seen: iso(stats?.first_seen ?? null),
    last_seen: iso(stats?.last_seen ?? null),
    last_app_version: stats?.last_app_version || null,
  };
}

export function commentJson(c: CommentRow) {
  return { id: c.comment_id, issue_id: c.issue_id, author_type: c.author_type, author_name: c.author_name, body: c.body, created_at: iso(c.created_at), edited_at: iso(c.edited_at) };
}

export function occurrenceJson(o: Occurrence) {
  return { ...o, first_seen: iso(o.first_seen), last_seen: iso(o.last_seen) };
}

export function fingerprintJson(f: FingerprintRow) {
  return { fingerprint: f.fingerprint, grouping_config: f.grouping_config, created_at: iso(f.created_at) };
}

const str = { type: 'string' } as const;
const nullableStr = { type: ['string', 'null'] } as const;
const int = { type: 'integer' } as const;

export const issueSchema = {
  type: 'object',
  properties: {
    id: str, app_id: str, is_dev: { type: 'boolean' }, title: str, culprit: str, exception_type: str, status: str,
    resolved_at: nullableStr, resolved_at_version: nullableStr, regressed_at: nullableStr, regressed_in_version: nullableStr,
    snoozed_until: nullableStr, grouping_config: str, created_at: str, updated_at: str,
    occurrences: int, users: int, first_seen: nullableStr, last_seen: nullableStr, last_app_version: nullableStr,
  },
  required: ['id', 'status', 'title'],
} as const;

export const commentSchema = {
  type: 'object',
  properties: { id: str, issue_id: str, author_type: str, author_name: str, body: str, created_at: str, edited_at: nullableStr },
  required: ['id', 'body', 'author_type'],
} as const;

export const occurrenceSchema = {
  type: 'object',
  properties: { fingerprint: str, session_id: str, user_id: str, app_version: str, environment: str, first_seen: str, last_seen: str },
} as const;

export const fingerprintSchema = {
  type: 'object',
  properties: { fingerprint: str, grouping_config: str, created_at: str },
} as const;

export const scanSummarySchema = {
  type: 'object',
  properties: {
    project_id: str,
    window: { type: 'object', properties: { from: str, to: str } },
    errors: int,
    fingerprints: int,
    created: { type: 'array', items: { type: 'object', properties: { id: str, title: str } } },
    updated: { type: 'array', items: str },
    regressed: { type: 'array', items: { type: 'object', properties: { id: str, version: str } } },
    new_occurrences: int,
  },
  required: ['created', 'updated', 'regressed'],
} as const;
