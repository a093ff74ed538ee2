import { randomUUID } from 'node:crypto';
import type { JobName, JobRunStore } from '@strix/contracts';
import { executeRun, executeScheduledRun, innermostMessage, type JobActivities, type JobRunInput, type JobSpec, type RunOutcome } from './jobs.ts';

export interface EmbeddedSchedulerDeps {
  /** Where runs are kept: the last successful scheduled run of each job is read back at start. */
  runs: JobRunStore;
  activities: JobActivities;
  /** The system jobs and their intervals. */
  jobs: readonly JobSpec[];
  now?: () => number;
  /**
   * Longest sleep between checks for due jobs (default 60 s). Sleeps end at the
   * next due slot anyway; the cap bounds how late a wall-clock jump is noticed.
   */
  pollMs?: number;
  /** Every finished run, scheduled or triggered (logging, metrics). */
  onOutcome?: (job: JobName, runId: string, outcome: RunOutcome | { status: 'skipped'; activeRunId: string }) => void;
}

interface JobState {
  readonly spec: JobSpec;
  /** Slot of the newest successful scheduled run, from the store at start. */
  lastSucceededSlot: number | undefined;
  /** Newest slot tried in this process: a failed slot waits for the next one instead of spinning. */
  lastAttemptedSlot: number | undefined;
  running: Promise<unknown> | undefined;
}

const slotOf = (time: number, intervalMs: number) => Math.floor(time / intervalMs) * intervalMs;

/** Why runs left running by a previous process are failed when the embedded scheduler starts. */
export const interruptedReason = 'interrupted: the Strix process stopped while it ran';

/** What a run set aside by a stopping process says until the next start takes it up again. */
export const suspendedMessage = 'suspended: Strix stopped; it goes on from its last step at the next start';

/**
 * The embedded deployment's scheduler: the same jobs, specs and activities as
 * the Temporal schedules, run in-process. Runs start at whole multiples of each
 * job's interval (as a Temporal interval schedule's do); a slot whose run did
 * not succeed before a restart — or that passed while the process was down — is
 * run once at start, and a slot that already succeeded is not run again. One
 * run of a job at a time: a slot finding one under way (in this process, or a
 * triggered one in the store) is skipped. It also runs the runs people trigger
 * through the API (`runTriggered`). Stopping sets a run aside between two
 * steps (or at a step's next progress report) as pending with its cursor, and
 * the next start goes on from there; a step under way is given up and done
 * again, as steps are idempotent. It assumes it is the only runner of its
 * store: at start, runs still running are those of a process that died, and
 * are marked failed; pending ones (set aside, or never handed over) are run.
 */
export class EmbeddedScheduler {
  private readonly states = new Map<JobName, JobState>();
  private readonly now: () => number;
  private readonly pollMs: number;
  private timer: NodeJS.Timeout | undefined;
  private readonly triggered = new Set<Promise<unknown>>();
  private started = false;
  private stopped = false;

  constructor(private readonly deps: EmbeddedSchedulerDeps) {
    this.now = deps.now ?? Date.now;
    this.pollMs = deps.pollMs ?? 60_000;
    for (const spec of deps.jobs) {
      this.states.set(spec.name, { spec, lastSucceededSlot: undefined, lastAttemptedSlot: undefined, running: undefined });
    }
  }

  /**
   * Fails runs a dead process left running, goes on with pending ones, reads each job's last successful run, then
   * starts due jobs in the background and keeps checking.
   */
  async start(): Promise<void> {
    if (this.started) throw new Error('EmbeddedScheduler.start() called twice');
    this.started = true;
    for (const run of await this.deps.runs.failRunning(interruptedReason, this.now())) {
      console.error(`[strix] job run ${run.id} (${run.job}) was running when Strix stopped; marked failed`);
    }
    for (const run of await this.deps.runs.list({ status: 'pending', limit: 1_000 })) void this.runTriggered(run.id).catch(() => undefined);
    for (const state of this.states.values()) {
      state.lastSucceededSlot = await this.deps.runs.lastScheduledSuccess(state.spec.name);
    }
    this.tick();
  }

  private readonly runOptions = {
    stopping: () => this.stopped,
    step: (input: JobRunInput) => this.deps.activities.runJobStep(input, { stopping: () => this.stopped }),
  };

  /** Sets a run the stopping process gave up aside, to go on from its cursor at the next start. */
  private async setAside(job: JobName, runId: string, outcome: RunOutcome | { status: 'skipped'; activeRunId: string }): Promise<void> {
    if (outcome.status === 'suspended') await this.deps.runs.suspend(runId, suspendedMessage, this.now());
    this.report(job, runId, outcome);
  }

  /**
   * Runs a run someone triggered (stored as pending) in the background; resolves
   * when it ended, or at once when it was cancelled before it started.
   */
  runTriggered(runId: string): Promise<RunOutcome | undefined> {
    if (this.stopped) return Promise.reject(new Error(`scheduler stopped; cannot run ${runId}`));
    const running = (async () => {
      const input = await this.deps.activities.startRun(runId);
      if (!input) return undefined;
      const outcome = await executeRun(this.deps.activities, input, this.runOptions);
      await this.setAside(input.job, runId, outcome);
      return outcome;
    })();
    this.triggered.add(running);
    const forget = () => this.triggered.delete(running);
    void running.then(forget, (error: unknown) => {
      forget();
      console.error(`[strix] job run ${runId} could not be recorded:`, error);
    });
    return running;
  }

  /** Stops scheduling; runs in progress end or are set aside at their next step or progress report. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await Promise.allSettled([...this.triggered]);
    for (const state of this.states.values()) {
      while (state.running) await state.running;
    }
  }

  private tick(): void {
    if (this.stopped) return;
    const now = this.now();
    let sleepMs = this.pollMs;
    for (const state of this.states.values()) {
      const { intervalMs } = state.spec;
      const slot = slotOf(now, intervalMs);
      const done = Math.max(state.lastSucceededSlot ?? -Infinity, state.lastAttemptedSlot ?? -Infinity);
      if (slot > done && !state.running) this.runScheduled(state, slot);
      sleepMs = Math.min(sleepMs, slot + intervalMs - now);
    }
    this.timer = setTimeout(() => this.tick(), Math.max(sleepMs, 10));
    // Stopping is the owner's job; a forgotten scheduler must not keep the process alive.
    this.timer.unref();
  }

  /** Never rejects: a failure to record the run is logged, and the slot waits for the next one. */
  private runScheduled(state: JobState, slot: number): void {
    state.lastAttemptedSlot = slot;
    const job = state.spec.name;
    const runId = `embedded:${job}:${new Date(slot).toISOString()}:${randomUUID()}`;
    state.running = executeScheduledRun(this.deps.activities, { job, runId, scheduledAt: slot }, this.runOptions)
      .then(async (outcome) => {
        if (outcome.status === 'completed') state.lastSucceededSlot = Math.max(state.lastSucceededSlot ?? slot, slot);
        await this.setAside(job, runId, outcome);
      })
      .catch((error: unknown) => console.error(`[strix] job ${job}: recording the run failed: ${innermostMessage(error)}`))
      .finally(() => {
        state.running = undefined;
        // A slot that came due during this run starts now, not at the next poll.
        if (!this.stopped) {
          clearTimeout(this.timer);
          this.tick();
        }
      });
  }

  private report(job: JobName, runId: string, outcome: RunOutcome | { status: 'skipped'; activeRunId: string }): void {
    try {
      this.deps.onOutcome?.(job, runId, outcome);
    } catch (error) {
      console.error(`[strix] onOutcome for ${job} threw:`, error);
    }
  }
}
