import { z } from 'zod';

/** An issue's lifecycle states; `issues/lifecycle.ts` holds the allowed moves between them. */
export const IssueStatuses = ['new', 'in_progress', 'resolved', 'silenced', 'regressed'] as const;
export type IssueStatus = (typeof IssueStatuses)[number];

/** Orders of the issue list, each on a denormalized column. */
export const IssueSorts = ['last_seen', 'first_seen', 'occurrences', 'users'] as const;
export type IssueSort = (typeof IssueSorts)[number];

/** How often a project's team is mailed a digest of new and regressed issues. */
export const IssueAlertFrequency = z.enum(['none', 'hourly', '6_hourly', 'daily', 'weekly']);
export type IssueAlertFrequency = z.infer<typeof IssueAlertFrequency>;

/** The statuses an issue digest reports: what a team has not yet looked at. */
export const DigestIssueStatus = z.enum(['new', 'regressed'] satisfies IssueStatus[]);
export type DigestIssueStatus = z.infer<typeof DigestIssueStatus>;

/** How one delivery attempt of a digest ended. */
export const IssueDigestStatus = z.enum(['sent', 'failed']);
export type IssueDigestStatus = z.infer<typeof IssueDigestStatus>;

/** Who wrote an issue comment: a person, or an agent through its key. */
export const CommentAuthorTypes = ['user', 'agent'] as const;
export type CommentAuthorType = (typeof CommentAuthorTypes)[number];
