import { type IssueAlertFrequency } from '@strix/contracts';
import { type DigestIssue } from '@strix/warehouse';

/** What one digest mail says: a project's new and regressed issues in one window. */
export interface IssueDigestContent {
  readonly projectName: string;
  /** The project's id: links open its issues in the dashboard. */
  readonly projectId: string;
  readonly frequency: Exclude<IssueAlertFrequency, 'none'>;
  /** Base URL of the dashboard, e.g. `https://strix.example.com`. */
  readonly publicUrl: string;
  /** The window is (windowFrom, windowTo], epoch ms. */
  readonly windowFrom: number;
  readonly windowTo: number;
  /** The issues to list (the caller caps how many). */
  readonly issues: readonly DigestIssue[];
  /** Every matching issue, listed or not: the subject counts these. */
  readonly totals: { readonly new: number; readonly regressed: number };
  /** app_id → app name; an unknown app shows its id. */
  readonly appNames?: ReadonlyMap<string, string>;
}

export interface ComposedDigest {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

const frequencyWords: Record<IssueAlertFrequency, string> = {
  none: 'never',
  hourly: 'every hour',
  '6_hourly': 'every 6 hours',
  daily: 'every day',
  weekly: 'every week',
};

/** Titles and culprits come from error messages: one line, no control characters. */
const oneLine = (s: string) => s.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ').trim();

const htmlEscapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => htmlEscapes[c] ?? c);

const utc = (ms: number) => `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
const count = (n: number, word: string) => `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;

/** The dashboard's page of an issue (or, without an id, the project's issue list). */
export function issueUrl(publicUrl: string, projectId: string, issueId?: string): string {
  const path = issueId === undefined ? '/issues' : `/issues/${encodeURIComponent(issueId)}`;
  return `${publicUrl.replace(/\/+$/, '')}${path}?project=${encodeURIComponent(projectId)}`;
}

/** `3 new, 1 regressed issues`, `1 new issue`, `2 regressed issues`. */
function headline(totals: IssueDigestContent['totals']): string {
  const parts = [
    ...(totals.new > 0 ? [`${totals.new} new`] : []),
    ...(totals.regressed > 0 ? [`${totals.regressed} regressed`] : []),
  ];
  const total = totals.new + totals.regressed;
  return `${parts.join(', ')} issue${total === 1 ? '' : 's'}`;
}

interface IssueLine {
  readonly status: string;
  readonly title: string;
  readonly culprit: string;
  readonly stats: string;
  readonly app: string;
  readonly url: string;
}

function linesOf(c: IssueDigestContent): IssueLine[] {
  return c.issues.map((issue) => {
    const appName = c.appNames?.get(issue.app_id) ?? issue.app_id;
    const version = issue.last_app_version ? ` ${issue.last_app_version}` : '';
    return {
      status: issue.status.toUpperCase(),
      title: oneLine(issue.title) || '(no message)',
      culprit: oneLine(issue.culprit),
      stats: `${count(issue.occurrences, 'occurrence')} · ${count(issue.users, 'user')} · last seen ${utc(issue.last_seen)}`,
      app: oneLine(appName + version),
      url: issueUrl(c.publicUrl, c.projectId, issue.issue_id),
    };
  });
}

/** The subject, a plain-text part and an HTML part (every interpolated value escaped). */
export function composeIssueDigest(c: IssueDigestContent): ComposedDigest {
  const project = oneLine(c.projectName);
  const title = `${headline(c.totals)} in ${project}`;
  const lines = linesOf(c);
  const total = c.totals.new + c.totals.regressed;
  const more = total - lines.length;
  const window = `Production errors Strix received between ${utc(c.windowFrom)} and ${utc(c.windowTo)}.`;
  const allIssues = issueUrl(c.publicUrl, c.projectId);
  const why = `You get this ${frequencyWords[c.frequency]} as a member of ${project}; the project settings change how often.`;

  const text = [
    title,
    window,
    '',
    ...lines.flatMap((l) => [
      `[${l.status}] ${l.title}`,
      ...(l.culprit ? [`  in ${l.culprit}`] : []),
      `  ${l.stats} · app ${l.app}`,
      `  ${l.url}`,
      '',
    ]),
    ...(more > 0 ? [`…and ${count(more, 'more issue')}: ${allIssues}`, ''] : []),
    '--',
    why,
    '',
  ].join('\n');

  const rows = lines
    .map(
      (l) => `<tr>
<td style="padding:8px 12px 8px 0;vertical-align:top"><strong>${escapeHtml(l.status)}</strong></td>
<td style="padding:8px 0;vertical-align:top"><a href="${escapeHtml(l.url)}">${escapeHtml(l.title)}</a>${
        l.culprit ? `<br><code>${escapeHtml(l.culprit)}</code>` : ''
      }<br><span style="color:#555">${escapeHtml(l.stats)} · app ${escapeHtml(l.app)}</span></td>
</tr>`,
    )
    .join('\n');
  const html = `<!doctype html>
<html><body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;font-size:14px;color:#111">
<h2 style="font-size:18px">${escapeHtml(title)}</h2>
<p>${escapeHtml(window)}</p>
<table style="border-collapse:collapse">
${rows}
</table>
${more > 0 ? `<p><a href="${escapeHtml(allIssues)}">…and ${escapeHtml(count(more, 'more issue'))}</a></p>\n` : ''}<p style="color:#777;font-size:12px">${escapeHtml(why)}</p>
</body></html>
`;

  return { subject: `[Strix] ${title}`, text, html };
}
