import { fileURLToPath } from 'node:url';
import { Context } from '@temporalio/activity';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { Activities } from './activities.ts';
import { activityHeartbeatMs, DEFAULT_TASK_QUEUE } from './jobs.ts';

/** Where the workflow code lives; the Worker bundles it (with its imports) for the sandbox. */
export const workflowsPath = fileURLToPath(new URL('./workflows.ts', import.meta.url));

export interface WorkerOptions {
  /** An open connection (left open), or the frontend's host:port to open one (closed on stop). */
  connection?: NativeConnection;
  address?: string;
  namespace?: string;
  taskQueue?: string;
  activities: Activities;
}

export interface RunWorkerOptions extends WorkerOptions {
  /** Aborting shuts the worker down gracefully: running activities finish first. */
  signal?: AbortSignal;
}

async function connect(options: WorkerOptions): Promise<{ connection: NativeConnection; owned: boolean }> {
  if (options.connection) return { connection: options.connection, owned: false };
  if (!options.address) throw new Error('worker needs either `connection` or `address` (host:port of the Temporal frontend)');
  return { connection: await NativeConnection.connect({ address: options.address }), owned: true };
}

/**
 * The activities, each heartbeating while it runs: a worker that dies (kill -9,
 * a lost host) stops heartbeating, and Temporal hands its step to another
 * worker after the heartbeat timeout instead of the step's whole 15 minutes.
 * The heartbeat says the process lives, not that the step advances; a stuck
 * step still ends at its timeout.
 */
export function heartbeating(activities: Activities): Activities {
  const wrapped = Object.entries(activities).map(([name, activity]) => [
    name,
    async (...args: unknown[]) => {
      const context = Context.current();
      const beat = setInterval(() => context.heartbeat(), activityHeartbeatMs);
      try {
        return await (activity as (...a: unknown[]) => Promise<unknown>)(...args);
      } finally {
        clearInterval(beat);
      }
    },
  ]);
  return Object.fromEntries(wrapped) as Activities;
}

/** A Worker for the job workflows and activities; run it with `run()` or `runUntil(...)`. */
export async function createWorker(connection: NativeConnection, options: Omit<WorkerOptions, 'connection' | 'address'>): Promise<Worker> {
  return Worker.create({
    connection,
    namespace: options.namespace ?? 'default',
    taskQueue: options.taskQueue ?? DEFAULT_TASK_QUEUE,
    workflowsPath,
    activities: heartbeating(options.activities),
  });
}

/** The `worker` role: polls until `signal` aborts, then drains and closes what it opened. */
export async function runWorker(options: RunWorkerOptions): Promise<void> {
  const { connection, owned } = await connect(options);
  try {
    const worker = await createWorker(connection, options);
    if (options.signal?.aborted) return;
    const onAbort = () => worker.shutdown();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await worker.run();
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
  } finally {
    if (owned) await connection.close();
  }
}
