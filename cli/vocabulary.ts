/**
 * The words the API accepts, for `choices` and completion. Types only come
 * from @strix/contracts (the CLI reaches Strix through HTTP alone); each list
 * is checked complete against its type when the CLI is type-checked.
 */
import type { DataMode, IssueSort, IssueStatus, JobName, JobRunStatus, Level } from '@strix/contracts';

/** `list` as is, when it names every member of `U` (else a type error). */
const every =
  <U extends string>() =>
  <const L extends readonly U[]>(list: L & ([U] extends [L[number]] ? unknown : never)): L =>
    list;

export const dataModes = every<DataMode>()(['production', 'development', 'all']);
export const levels = every<Level>()(['debug', 'info', 'warn', 'error']);
export const issueStatuses = every<IssueStatus>()(['new', 'in_progress', 'resolved', 'silenced', 'regressed']);
export const issueSorts = every<IssueSort>()(['last_seen', 'first_seen', 'occurrences', 'users']);
export const jobRunStatuses = every<JobRunStatus>()(['pending', 'running', 'completed', 'failed', 'cancelled']);
export const jobNames = every<JobName>()([
  'issue_scan',
  'issue_notify',
  'retention_cleanup',
  'soft_delete_cleanup',
  'metric_abandon',
  'app_version_sync',
  'attachment_cleanup',
  'revenuecat_sync',
  'revenuecat_backfill',
  'revenuecat_webhooks',
  'person_delete',
]);
/** What `POST /v1/jobs/:type` starts (person_delete has its own route). */
export const triggerableJobs = ['issue_scan', 'retention_cleanup', 'app_version_sync', 'revenuecat_sync', 'revenuecat_backfill'] as const satisfies readonly JobName[];
export const metricIntervals = ['minute', 'hour', 'day'] as const;
export const audienceViews = ['active', 'screens', 'live'] as const;
export const funnelModes = ['closed', 'open'] as const;
export const funnelUnits = ['user', 'session'] as const;
