/**
 * Runs the scheduled jobs (workflows/jobs.ts) where the configuration says:
 * in-process on the embedded scheduler, or as a Temporal worker whose
 * schedules are created (or brought up to date) at start.
 */
import type { ProjectDirectory, Warehouse } from '@strix/contracts';
import type { IssueService } from '@strix/issues';
import { EmbeddedScheduler, SmtpMailer, createActivities, jobSpecs } from '@strix/workflows';
import type { Config } from './config.ts';

export interface RunningJobs {
  /** Why jobs cannot run right now, or undefined. */
  problem(): string | undefined;
  stop(): Promise<void>;
}

export async function startJobs(config: Config, warehouse: Warehouse, directory: ProjectDirectory, issues: IssueService): Promise<RunningJobs> {
  const { smtpUrl, from, publicUrl } = config.mail;
  const mailer = smtpUrl ? new SmtpMailer(smtpUrl) : undefined;
  const activities = createActivities({
    warehouse,
    directory,
    issues,
    metricAbandonAfterMs: config.metricAbandonAfterMs,
    ...(mailer && { mail: { mailer, from, publicUrl } }),
  });
  const jobs = jobSpecs({
    'retention-sweep': config.retentionSweepIntervalMs,
    'issue-scan': config.issueScanIntervalMs,
    'issue-notify': config.issueNotifyIntervalMs,
  });
  const scheduler = config.scheduler;
  if (scheduler.kind === 'embedded') {
    const embedded = new EmbeddedScheduler({
      warehouse,
      activities,
      jobs,
      onOutcome: (job, outcome) => {
        if (outcome.status === 'failed') console.error(`[strix] job ${job} failed: ${outcome.error}`);
      },
    });
    await embedded.start();
    return {
      problem: () => undefined,
      async stop() {
        await embedded.stop();
        await mailer?.close();
      },
    };
  }

  // Loaded only here: the embedded deployment never loads Temporal's native worker.
  const { Client, Connection } = await import('@temporalio/client');
  const { ensureSchedules, runWorker } = await import('@strix/workflows/temporal');
  const connection = await Connection.connect({ address: scheduler.address });
  try {
    const client = new Client({ connection, namespace: scheduler.namespace });
    await ensureSchedules(client, jobs, { taskQueue: scheduler.taskQueue });
  } finally {
    await connection.close();
  }
  const abort = new AbortController();
  let failure: string | undefined;
  const worker = runWorker({ address: scheduler.address, namespace: scheduler.namespace, taskQueue: scheduler.taskQueue, activities, signal: abort.signal }).catch(
    (error: unknown) => {
      failure = `Temporal worker stopped: ${String(error)}`;
      console.error(`[strix] ${failure}`);
    },
  );
  return {
    problem: () => failure,
    async stop() {
      abort.abort();
      await worker;
      await mailer?.close();
    },
  };
}
