/** The MCP tools for issues: list and read them, comment, and change their status or merge them. */
import { z } from 'zod';
import { dataModes, issueSorts, issueStatuses } from '../vocabulary.ts';
import { defineTool } from './tool.ts';

const id = z.string().min(1).describe('The issue id');
const issuePath = (issue: string) => `/v1/issues/${encodeURIComponent(issue)}`;
/** Statuses a person or agent sets; only the scan marks an issue regressed. */
const settable = issueStatuses.filter((s) => s !== 'regressed') as ['new', 'in_progress', 'resolved', 'silenced'];

export const issueTools = [
  defineTool({
    name: 'list_issues',
    title: 'List issues',
    description: 'Issues (errors grouped by fingerprint) with occurrence and user counts. Default: production, every status, most recently seen first.',
    input: {
      status: z.array(z.enum(issueStatuses)).optional().describe('Only these statuses, e.g. ["new","regressed"]'),
      data_mode: z.enum(dataModes).optional(),
      app_id: z.string().min(1).optional(),
      q: z.string().min(1).max(200).optional().describe('Text in the title, culprit or exception type'),
      sort: z.enum(issueSorts).optional(),
      limit: z.number().int().min(1).max(200).default(25),
      offset: z.number().int().min(0).max(10_000).default(0),
    },
    readOnly: true,
    call: (client, { status, ...query }) => client.get('/v1/issues', { ...query, status: status?.join(',') }),
  }),
  defineTool({
    name: 'get_issue',
    title: 'Read an issue',
    description:
      'An issue with its fingerprints, latest occurrences (session, user, version, environment), comments, the events of one ' +
      'session (default: the latest) and grouping_explanation (which in-app frames or message tokens group its errors).',
    input: { id, occurrences: z.number().int().min(1).max(500).default(20), session_id: z.string().min(1).optional().describe('Whose events to include') },
    readOnly: true,
    call: (client, { id: issue, ...query }) => client.get(issuePath(issue), query),
  }),
  defineTool({
    name: 'comment_on_issue',
    title: 'Comment on an issue',
    description: 'Adds a markdown comment (findings, a suspected cause, the fixing change). Shown with the agent as author.',
    input: { id, body: z.string().min(1).max(10_000), author_name: z.string().min(1).max(200).optional().describe('Who the agent acts for (default: the key)') },
    readOnly: false,
    call: (client, { id: issue, body, author_name }) => client.post(`${issuePath(issue)}/comments`, { body, ...(author_name && { author: { type: 'agent', name: author_name } }) }),
  }),
  defineTool({
    name: 'resolve_issue',
    title: 'Resolve an issue',
    description: 'Marks an issue resolved. With version (the app version that ships the fix), an error from a newer version reopens it as regressed.',
    input: { id, version: z.string().min(1).max(256).optional() },
    readOnly: false,
    call: (client, { id: issue, version }) => client.patch(issuePath(issue), { status: 'resolved', ...(version && { resolved_at_version: version }) }),
  }),
  defineTool({
    name: 'reopen_issue',
    title: 'Reopen an issue',
    description: 'Moves a resolved or silenced issue back to new.',
    input: { id },
    readOnly: false,
    call: (client, { id: issue }) => client.patch(issuePath(issue), { status: 'new' }),
  }),
  defineTool({
    name: 'set_issue_status',
    title: "Change an issue's status",
    description: 'new, in_progress (claimed), resolved or silenced (counted, never in digests). The answer names the moves allowed from the current status.',
    input: { id, status: z.enum(settable) },
    readOnly: false,
    call: (client, { id: issue, status }) => client.patch(issuePath(issue), { status }),
  }),
  defineTool({
    name: 'snooze_issue',
    title: 'Snooze an issue',
    description: 'Keeps an issue out of digests until a time (ISO 8601 or epoch ms); until null wakes it now.',
    input: { id, until: z.union([z.string(), z.number().int(), z.null()]) },
    readOnly: false,
    call: (client, { id: issue, until }) => client.patch(issuePath(issue), { snoozed_until: until }),
  }),
  defineTool({
    name: 'merge_issues',
    title: 'Merge issues',
    description: "Merges source issues into the target: their fingerprints (so future errors), occurrences and comments move to it; the sources are gone.",
    input: { target_id: id, source_ids: z.array(z.string().min(1)).min(1).max(50) },
    readOnly: false,
    destructive: true,
    call: (client, { target_id, source_ids }) => client.post(`${issuePath(target_id)}/merge`, { source_ids }),
  }),
];
