import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
  type Connection,
  type ScheduleDescription,
  type ScheduleOptionsStartWorkflowAction,
  type ScheduleSpec,
} from '@temporalio/client';
import type { JobName } from '@strix/contracts';
import { DEFAULT_TASK_QUEUE, type JobSpec } from './jobs.ts';
import proto from '@temporalio/proto';
import { jobSearchAttributes, jobTypeKey, projectIdKey } from './search-attributes.ts';
import type * as workflows from './workflows.ts';
import type { ScheduledJobInput, scheduledJobWorkflow } from './workflows.ts';

export interface ScheduleTarget {
  /** Task queue the job workflows run on (the worker's). */
  taskQueue?: string;
  /** Schedule ids are `<prefix><job name>`. */
  idPrefix?: string;
}

export type EnsureAction = 'created' | 'updated' | 'unchanged';

export interface EnsuredSchedule {
  scheduleId: string;
  job: JobName;
  action: EnsureAction;
}

const workflowType = 'scheduledJobWorkflow' satisfies keyof typeof workflows;

export function scheduleIdFor(job: JobName, idPrefix = 'strix-job-'): string {
  return `${idPrefix}${job}`;
}

interface DesiredSchedule {
  spec: ScheduleSpec;
  action: ScheduleOptionsStartWorkflowAction<typeof scheduledJobWorkflow>;
  policies: { overlap: ScheduleOverlapPolicy; catchupWindow: number };
}

function desired(job: JobSpec, scheduleId: string, taskQueue: string): DesiredSchedule {
  const input: ScheduledJobInput = { job: job.name };
  return {
    spec: { intervals: [{ every: job.intervalMs }] },
    action: { type: 'startWorkflow', workflowType, args: [input], taskQueue, workflowId: scheduleId, typedSearchAttributes: jobSearchAttributes(job.name, null) },
    policies: {
      // One run at a time: a run still going when the next is due makes that one skip.
      overlap: ScheduleOverlapPolicy.SKIP,
      // After an outage, catch up on a missed run at most one interval late (as the embedded scheduler does).
      catchupWindow: Math.max(job.intervalMs, 60_000),
    },
  };
}

function matches(current: ScheduleDescription, want: DesiredSchedule, job: JobSpec): boolean {
  const intervals = current.spec.intervals ?? [];
  return (
    intervals.length === 1 &&
    intervals[0]?.every === job.intervalMs &&
    !intervals[0]?.offset &&
    (current.spec.calendars ?? []).length === 0 &&
    current.action.workflowType === want.action.workflowType &&
    current.action.taskQueue === want.action.taskQueue &&
    JSON.stringify(current.action.args) === JSON.stringify(want.action.args) &&
    current.policies.overlap === want.policies.overlap &&
    current.policies.catchupWindow === want.policies.catchupWindow
  );
}

/** Schedules of jobs that were renamed or folded into others; deleted when found. */
const retiredJobs = ['retention-sweep', 'issue-scan', 'issue-notify', 'comment-purge', 'metric-abandon', 'project-purge'];

/**
 * Creates each job's Schedule if missing and updates it if its spec, action or
 * policies changed. Idempotent, so every worker start may call it; two calling
 * at once both end with the same Schedule (create loses the race, then compares).
 * Schedules of retired job names are deleted; others not listed are left alone.
 */
export async function ensureSchedules(client: Client, specs: readonly JobSpec[], target: ScheduleTarget = {}): Promise<EnsuredSchedule[]> {
  const taskQueue = target.taskQueue ?? DEFAULT_TASK_QUEUE;
  const results: EnsuredSchedule[] = [];
  for (const retired of retiredJobs) {
    await client.schedule
      .getHandle(`${target.idPrefix ?? 'strix-job-'}${retired}`)
      .delete()
      .catch((error: unknown) => {
        if (!(error instanceof ScheduleNotFoundError)) throw error;
      });
  }
  for (const job of specs) {
    const scheduleId = scheduleIdFor(job.name, target.idPrefix);
    const want = desired(job, scheduleId, taskQueue);
    const handle = client.schedule.getHandle(scheduleId);
    let current: ScheduleDescription | undefined;
    try {
      current = await handle.describe();
    } catch (error) {
      if (!(error instanceof ScheduleNotFoundError)) throw error;
    }
    if (!current) {
      try {
        await client.schedule.create({ scheduleId, ...want });
        results.push({ scheduleId, job: job.name, action: 'created' });
        continue;
      } catch (error) {
        if (!(error instanceof ScheduleAlreadyRunning)) throw error;
        current = await handle.describe();
      }
    }
    if (matches(current, want, job)) {
      results.push({ scheduleId, job: job.name, action: 'unchanged' });
      continue;
    }
    // Pause state and notes are the operators'; only what this code owns is replaced.
    await handle.update((previous) => ({ ...previous, ...want }));
    results.push({ scheduleId, job: job.name, action: 'updated' });
  }
  return results;
}

/** Registers the job workflows' search attributes in the namespace (idempotent: present ones are left as they are). */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  const keyword = proto.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = [jobTypeKey.name, projectIdKey.name].filter((name) => !customAttributes[name]);
  if (missing.length === 0) return;
  await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: Object.fromEntries(missing.map((name) => [name, keyword])) });
}
