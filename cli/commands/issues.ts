/** Issues: list, read, change status, comment, merge, scan. */
import type { CommandSpec, Context } from '../command.ts';
import { UsageError } from '../failures.ts';
import { readStdin } from '../input.ts';
import type { Column, Row } from '../output.ts';
import { integer, scopeOptions, text, timeOption } from '../read-scope.ts';
import { issueSorts, issueStatuses } from '../vocabulary.ts';
import { printIssueDetail } from './issue-detail.ts';

export const issueColumns: Column[] = [
  { key: 'id' },
  { key: 'status' },
  { key: 'occurrences', numeric: true },
  { key: 'users', numeric: true },
  { key: 'last_seen' },
  { key: 'last_app_version' },
  { key: 'title' },
];

const idArg = { name: 'id', required: true, description: 'The issue id' } as const;
const issuePath = (id: unknown) => `/v1/issues/${encodeURIComponent(String(id))}`;

/** PATCHes the issue and prints it as it now is. */
async function change(ctx: Context, body: Record<string, unknown>): Promise<void> {
  const { issue } = await (await ctx.client()).patch<{ issue: Row }>(issuePath(ctx.args.id), body);
  ctx.print({ rows: [issue], columns: issueColumns, json: issue });
}

function statusChange(path: string, summary: string, status: string, details?: string): CommandSpec {
  return {
    path: ['issues', path],
    summary,
    ...(details && { details }),
    args: [idArg],
    output: true,
    remote: true,
    run: (ctx) => change(ctx, { status }),
  };
}

export const issueCommands: CommandSpec[] = [
  {
    path: ['issues', 'list'],
    summary: 'Issues with their counts (default: production, most recently seen first)',
    options: {
      ...scopeOptions,
      status: { type: 'string', valueName: 'STATUS', multiple: true, description: `Only these statuses: ${issueStatuses.join(', ')} (comma-separated or repeated)` },
      query: { type: 'string', short: 'q', valueName: 'TEXT', description: 'Text in the title, culprit or exception type' },
      sort: { type: 'string', valueName: 'ORDER', choices: issueSorts, description: `${issueSorts.join(', ')} (default last_seen)` },
      limit: { type: 'string', valueName: 'N', description: 'Issues at most (default 50, at most 200)' },
      offset: { type: 'string', valueName: 'N', description: 'Skip this many first' },
    },
    output: true,
    remote: true,
    examples: ['strix issues list --status new,regressed', 'strix issues list --sort occurrences --format csv > issues.csv'],
    async run(ctx) {
      const statuses = ctx.options.status as string[] | undefined;
      const { issues } = await (await ctx.client()).get<{ issues: Row[] }>('/v1/issues', {
        status: statuses?.join(','),
        data_mode: text(ctx.options, 'data-mode'),
        app_id: text(ctx.options, 'app'),
        q: text(ctx.options, 'query'),
        sort: text(ctx.options, 'sort'),
        limit: integer(ctx.options, 'limit', 1, 200),
        offset: integer(ctx.options, 'offset', 0, 10_000),
      });
      ctx.print({ rows: issues, columns: issueColumns });
    },
  },
  {
    path: ['issues', 'show'],
    summary: 'An issue with its occurrences, comments, a session of events and why its errors group',
    args: [idArg],
    options: {
      occurrences: { type: 'string', valueName: 'N', description: 'Latest occurrences listed (default 50, at most 500)' },
      session: { type: 'string', valueName: 'SESSION_ID', description: "Whose events to show (default: the latest occurrence's session)" },
    },
    output: true,
    remote: true,
    async run(ctx) {
      const detail = await (await ctx.client()).get<Row>(issuePath(ctx.args.id), { occurrences: integer(ctx.options, 'occurrences', 1, 500), session_id: text(ctx.options, 'session') });
      if (ctx.format === 'table') printIssueDetail(ctx, detail);
      else ctx.print({ rows: [detail.issue as Row], columns: issueColumns, json: detail });
    },
  },
  {
    path: ['issues', 'resolve'],
    summary: 'Mark an issue resolved, optionally in the version that fixed it',
    details: 'With --version, a later error from a newer version reopens it as regressed.',
    args: [idArg],
    options: { version: { type: 'string', valueName: 'VERSION', description: 'The app version with the fix (resolved_at_version)' } },
    output: true,
    remote: true,
    run: (ctx) => change(ctx, { status: 'resolved', ...(text(ctx.options, 'version') !== undefined && { resolved_at_version: text(ctx.options, 'version') }) }),
  },
  statusChange('reopen', 'Reopen a resolved or silenced issue (status new)', 'new'),
  statusChange('claim', 'Mark an issue in progress', 'in_progress'),
  statusChange('silence', 'Silence an issue: still counted, never in digests', 'silenced'),
  {
    path: ['issues', 'snooze'],
    summary: 'Keep an issue out of digests until a time',
    args: [idArg, { name: 'until', required: true, description: "ISO 8601, epoch ms, a span from now such as 4h or 7d, or 'off' to wake it now" }],
    output: true,
    remote: true,
    run: (ctx) => change(ctx, { snoozed_until: ctx.args.until === 'off' ? null : timeOption(String(ctx.args.until), Date.now(), 1) }),
  },
  {
    path: ['issues', 'comment'],
    summary: 'Comment on an issue (markdown); the text from the argument or stdin',
    args: [idArg, { name: 'text', description: "The comment; '-' or none reads stdin" }],
    options: { as: { type: 'string', valueName: 'NAME', description: 'The agent name shown as author (default: the key prefix)' } },
    output: true,
    remote: true,
    examples: ['strix issues comment 3f2a… "Fixed by #412; ships in 2.4.1"', 'git log -1 --format=%B | strix issues comment 3f2a…'],
    async run(ctx) {
      const given = typeof ctx.args.text === 'string' && ctx.args.text !== '-' ? ctx.args.text : undefined;
      if (given === undefined && ctx.io.stdin.isTTY) throw new UsageError('missing TEXT: give the comment as an argument or on stdin', 'issues comment');
      const body = (given ?? (await readStdin(ctx.io))).trim();
      const as = text(ctx.options, 'as');
      const { comment } = await (await ctx.client()).post<{ comment: Row }>(`${issuePath(ctx.args.id)}/comments`, { body, ...(as && { author: { type: 'agent', name: as } }) });
      ctx.print({ rows: [comment], columns: [{ key: 'id' }, { key: 'author_type' }, { key: 'author_name' }, { key: 'created_at' }, { key: 'body' }], json: comment });
    },
  },
  {
    path: ['issues', 'merge'],
    summary: 'Merge issues into a target: their fingerprints, occurrences and comments move to it',
    args: [idArg, { name: 'sources', required: true, variadic: true, description: 'The issues merged into it (at most 50)' }],
    output: true,
    remote: true,
    examples: ['strix issues merge TARGET_ID SOURCE_ID OTHER_SOURCE_ID'],
    async run(ctx) {
      const { issue } = await (await ctx.client()).post<{ issue: Row }>(`${issuePath(ctx.args.id)}/merge`, { source_ids: ctx.args.sources });
      ctx.print({ rows: [issue], columns: issueColumns, json: issue });
    },
  },
  {
    path: ['issues', 'scan'],
    summary: 'Turn the errors stored since the last scan into issues now',
    details: 'POST /v1/issues/scan: answers what it created, updated and regressed. The scan also runs hourly.',
    output: true,
    remote: true,
    async run(ctx) {
      const scan = await (await ctx.client()).post<Row>('/v1/issues/scan');
      const created = (scan.created as Row[] | undefined) ?? [];
      ctx.print({
        rows: [{ errors: scan.errors, created: created.length, updated: (scan.updated as unknown[] | undefined)?.length ?? 0, regressed: (scan.regressed as unknown[] | undefined)?.length ?? 0, new_occurrences: scan.new_occurrences }],
        columns: ['errors', 'created', 'updated', 'regressed', 'new_occurrences'].map((key) => ({ key, numeric: true })),
        json: scan,
      });
    },
  },
];
