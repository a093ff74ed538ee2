/**
 * The custom search attributes of job workflows, so Temporal's UI and CLI can
 * find runs by job type and project (`StrixJobType = 'revenuecat_backfill'`).
 */
import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair } from '@temporalio/common';
import type { JobName } from '@strix/contracts';

export const jobTypeKey = defineSearchAttributeKey('StrixJobType', SearchAttributeType.KEYWORD);
export const projectIdKey = defineSearchAttributeKey('StrixProjectId', SearchAttributeType.KEYWORD);

export function jobSearchAttributes(job: JobName, projectId: string | null): SearchAttributePair[] {
  return [{ key: jobTypeKey, value: job }, ...(projectId === null ? [] : [{ key: projectIdKey, value: projectId }])];
}
