import type { IssueRow } from '@strix/contracts';

const maxTitleChars = 500;

/** "TypeError: x is undefined", or the message alone when the error has no exception type. */
export function issueTitle(exceptionType: string, message: string): string {
  const title = exceptionType ? `${exceptionType}: ${message}` : message;
  if (title.length <= maxTitleChars) return title;
  // Never cut between the two halves of a surrogate pair: a lone half is text no store takes.
  const cut = /[\ud800-\udbff]/.test(title.charAt(maxTitleChars - 2)) ? maxTitleChars - 2 : maxTitleChars - 1;
  return `${title.slice(0, cut)}…`;
}

/** What an issue shows of the error it was made from. */
export interface IssueHeadline {
  title: string;
  culprit: string;
  exception_type: string;
}

// Errors stored before the edge refused U+0000 may hold it; the control plane's text cannot.
const printable = (text: string) => text.replaceAll('\u0000', '');

/** An issue's title, culprit and exception type from one of its stored errors. */
export function headlineOf(error: { exception_type: string; message: string; culprit: string; source_module: string }): IssueHeadline {
  return {
    title: printable(issueTitle(error.exception_type, error.message)),
    // Errors without a stack still say where they came from: the module the app named.
    culprit: printable(error.culprit || error.source_module),
    exception_type: printable(error.exception_type),
  };
}

export type NewIssueFields = Pick<IssueRow, 'project_id' | 'issue_id' | 'app_id' | 'is_dev' | 'grouping_config'> & IssueHeadline;

/**
 * A new issue, as the scan opens one for an unknown fingerprint and unmerge splits one
 * out: status new, never resolved, snoozed or regressed, created now.
 */
export function newIssue(fields: NewIssueFields, now: number): IssueRow {
  return {
    ...fields,
    status: 'new',
    resolved_at: null,
    resolved_at_version: '',
    snoozed_until: null,
    regressed_at: null,
    regressed_in_version: '',
    created_at: now,
    updated_at: now,
    merged_into: '',
  };
}
