/** `strix issues show` for people: the issue's facts, then its occurrences, comments and one session's events. */
import { terminalWidth, type Context } from '../command.ts';
import { cellText, table, type Row } from '../output.ts';

const rowsOf = (value: unknown): Row[] => (Array.isArray(value) ? (value as Row[]) : []);
const str = (value: unknown) => cellText(value);

function facts(issue: Row, detail: Row): [string, string][] {
  const lines: [string, string][] = [
    ['id', str(issue.id)],
    ['title', str(issue.title)],
    ['status', `${str(issue.status)}${rowsOf(issue.allowed_statuses).length ? ` (may become ${str(issue.allowed_statuses)})` : ''}`],
    ['exception', str(issue.exception_type)],
    ['culprit', str(issue.culprit)],
    ['app', `${str(issue.app_id)}${issue.is_dev ? ' (development)' : ''}`],
    ['seen', `${str(issue.occurrences)} occurrences, ${str(issue.users)} users, first ${str(issue.first_seen)}, last ${str(issue.last_seen)}`],
    ['versions', `first ${str(issue.first_app_version) || '-'}, last ${str(issue.last_app_version) || '-'}${issue.is_latest_app_version === true ? ' (the latest)' : ''}`],
  ];
  if (issue.resolved_at) lines.push(['resolved', `${str(issue.resolved_at)}${issue.resolved_at_version ? ` in ${str(issue.resolved_at_version)}` : ''}`]);
  if (issue.regressed_at) lines.push(['regressed', `${str(issue.regressed_at)} in ${str(issue.regressed_in_version)}`]);
  if (issue.snoozed_until) lines.push(['snoozed until', str(issue.snoozed_until)]);
  const grouping = detail.grouping_explanation as Row | null | undefined;
  if (grouping?.summary) lines.push(['grouping', str(grouping.summary)]);
  return lines;
}

export function printIssueDetail(ctx: Context, detail: Row): void {
  const out = ctx.io.stdout;
  const width = terminalWidth(out);
  const issue = (detail.issue ?? {}) as Row;
  const pairs = facts(issue, detail);
  const labelWidth = Math.max(...pairs.map(([label]) => label.length));
  out.write(pairs.map(([label, value]) => `${label.padEnd(labelWidth)}  ${value}\n`).join(''));

  const occurrences = rowsOf(detail.occurrences);
  out.write(`\nOccurrences (${occurrences.length} latest)\n`);
  if (occurrences.length > 0) {
    out.write(table(occurrences, [{ key: 'last_seen' }, { key: 'session_id' }, { key: 'user_id' }, { key: 'app_version' }, { key: 'environment' }], { width }));
  }

  const comments = rowsOf(detail.comments);
  out.write(`\nComments (${comments.length})\n`);
  for (const c of comments) {
    out.write(`${str(c.created_at)}  ${str(c.author_type)} ${str(c.author_name)}${c.edited_at ? ' (edited)' : ''}\n`);
    out.write(`${(typeof c.body === 'string' ? c.body : '').replace(/^/gm, '    ')}\n`);
  }

  const session = (detail.session ?? {}) as Row;
  const events = rowsOf(session.events);
  out.write(`\nSession ${str(session.session_id) || '-'} (${events.length} events)\n`);
  if (events.length > 0) out.write(table(events, [{ key: 'timestamp' }, { key: 'level' }, { key: 'name' }, { key: 'message' }], { width }));
}
