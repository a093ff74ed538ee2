/**
 * The background jobs of one process (workflows/): the runs people trigger
 * through the API, handed to the scheduler, and — in the worker role — the
 * schedules of the system jobs: in-process on the embedded scheduler, or as a
 * Temporal worker whose schedules are created (or brought up to date) at start.
 */
import type { Client, Connection } from '@temporalio/client';
import type { BlobStore, JobControl, Warehouse } from '@strix/contracts';
import type { ControlPlane } from '@strix/control';
import type { IssueService } from '@strix/issues';
import { EmbeddedScheduler, SmtpMailer, createActivities, jobSpecs, type JobSpec } from '@strix/workflows';
import { createITunesClient } from '@strix/workflows/app-versions';
import type { Config } from './config.ts';

export interface ProcessJobs extends JobControl {
  /** The worker role: runs the system jobs on their schedules (and, on Temporal, every job's workflows). */
  startScheduling(): Promise<void>;
  /** Why jobs cannot run right now, or undefined. */
  problem(): string | undefined;
  stop(): Promise<void>;
}

function systemJobs(config: Config): JobSpec[] {
  return jobSpecs({
    retention_cleanup: config.retentionSweepIntervalMs,
    issue_scan: config.issueScanIntervalMs,
    issue_notify: config.issueNotifyIntervalMs,
  });
}

export function openJobs(config: Config, warehouse: Warehouse, control: ControlPlane, issues: IssueService, secretKey: Buffer, blobs?: BlobStore): ProcessJobs {
  const { smtpUrl, from, publicUrl } = config.mail;
  const mailer = smtpUrl ? new SmtpMailer(smtpUrl) : undefined;
  const activities = createActivities({
    warehouse,
    directory: control,
    issues,
    metricAbandonAfterMs: config.metricAbandonAfterMs,
    itunes: createITunesClient({ baseUrl: config.integrations.itunesUrl }),
    revenueCatUrl: config.integrations.revenueCatUrl,
    revenueCatClient: { requestsPerMinute: config.integrations.revenueCatRateLimit.requests, windowMs: config.integrations.revenueCatRateLimit.windowMs },
    secretKey,
    ...(blobs && { blobs }),
    ...(mailer && { mail: { mailer, from, publicUrl } }),
  });
  const jobs = systemJobs(config);
  const intervalsMs = Object.fromEntries(jobs.map((j) => [j.name, j.intervalMs]));
  const runs = control.jobRuns();
  const scheduler = config.scheduler;

  if (scheduler.kind === 'embedded') {
    const embedded = new EmbeddedScheduler({
      runs,
      activities,
      jobs,
      onOutcome: (job, runId, outcome) => {
        if (outcome.status === 'failed') console.error(`[strix] job ${job} (run ${runId}) failed: ${outcome.error}`);
      },
    });
    return {
      runs,
      intervalsMs,
      async dispatch(run) {
        // Runs in the background; its end is in the store.
        void embedded.runTriggered(run.id).catch(() => undefined);
      },
      startScheduling: () => embedded.start(),
      problem: () => undefined,
      async stop() {
        await embedded.stop();
        await mailer?.close();
      },
    };
  }

  // Loaded only here: the embedded deployment never loads Temporal's client or native worker.
  const temporal = () => import('@strix/workflows/temporal');
  let connecting: Promise<{ connection: Connection; client: Client }> | undefined;
  // Connected on first use: the api role serves everything else while Temporal is away. The search attributes runs
  // carry are registered by the worker role at its start; an api role tries too, but may lack the operator's rights.
  const connect = () => {
    connecting ??= (async () => {
      const { Client, Connection } = await import('@temporalio/client');
      const connection = await Connection.connect({ address: scheduler.address });
      await (await temporal()).ensureSearchAttributes(connection, scheduler.namespace).catch((error: unknown) => {
        if (config.role === 'worker') throw error;
        console.warn(`[strix] could not register Temporal search attributes (the worker role does at its start): ${String(error)}`);
      });
      return { connection, client: new Client({ connection, namespace: scheduler.namespace }) };
    })().catch((error: unknown) => {
      connecting = undefined;
      throw error;
    });
    return connecting;
  };
  const abort = new AbortController();
  let worker: Promise<void> | undefined;
  let failure: string | undefined;
  return {
    runs,
    intervalsMs,
    async dispatch(run) {
      const { client } = await connect();
      await (await temporal()).startJobRun(client, run, scheduler.taskQueue);
    },
    async startScheduling() {
      const { client } = await connect();
      const { ensureSchedules, runWorker } = await temporal();
      await ensureSchedules(client, jobs, { taskQueue: scheduler.taskQueue });
      worker = runWorker({ address: scheduler.address, namespace: scheduler.namespace, taskQueue: scheduler.taskQueue, activities, signal: abort.signal }).catch(
        (error: unknown) => {
          failure = `Temporal worker stopped: ${String(error)}`;
          console.error(`[strix] ${failure}`);
        },
      );
    },
    problem: () => failure,
    async stop() {
      abort.abort();
      await worker;
      const opened = await connecting?.catch(() => undefined);
      await opened?.connection.close();
      await mailer?.close();
    },
  };
}
