import type { Warehouse } from '@strix/contracts';
import { lastScheduledSuccess } from '@strix/warehouse';
import { executeJob, innermostMessage, type JobActivities, type JobName, type JobOutcome, type JobRunRequest, type JobSpec } from './jobs.ts';

export interface EmbeddedSchedulerDeps {
  /** Where runs are recorded (through `activities.recordJobRun`) and the last successful one is read back. */
  warehouse: Warehouse;
  activities: JobActivities;
  jobs: readonly JobSpec[];
  now?: () => number;
  /**
   * Longest sleep between checks for due jobs (default 60 s). Sleeps end at the
   * next due slot anyway; the cap bounds how late a wall-clock jump is noticed.
   */
  pollMs?: number;
  /** Every finished run, scheduled or manual (logging, metrics). */
  onOutcome?: (job: JobName, outcome: JobOutcome) => void;
}

interface JobState {
  readonly spec: JobSpec;
  /** Slot of the newest successful scheduled run, from job_runs at start. */
  lastSucceededSlot: number | undefined;
  /** Newest slot tried in this process: a failed slot waits for the next one instead of spinning. */
  lastAttemptedSlot: number | undefined;
  running: Promise<JobOutcome> | undefined;
}

const slotOf = (time: number, intervalMs: number) => Math.floor(time / intervalMs) * intervalMs;

/**
 * The embedded deployment's scheduler: the same jobs, specs and activities as
 * the Temporal schedules, run in-process. Runs start at whole multiples of each
 * job's interval (as a Temporal interval schedule's do); a slot whose run did
 * not succeed before a restart — or that passed while the process was down — is
 * run once at start, and a slot that already succeeded is not run again.
 * One run at a time per job: a due slot finding a run in progress waits for it.
 */
export class EmbeddedScheduler {
  private readonly states = new Map<JobName, JobState>();
  private readonly now: () => number;
  private readonly pollMs: number;
  private timer: NodeJS.Timeout | undefined;
  private readonly manual = new Set<Promise<JobOutcome>>();
  private started = false;
  private stopped = false;

  constructor(private readonly deps: EmbeddedSchedulerDeps) {
    this.now = deps.now ?? Date.now;
    this.pollMs = deps.pollMs ?? 60_000;
    for (const spec of deps.jobs) {
      this.states.set(spec.name, { spec, lastSucceededSlot: undefined, lastAttemptedSlot: undefined, running: undefined });
    }
  }

  /** Reads each job's last successful run, then starts due jobs in the background and keeps checking. */
  async start(): Promise<void> {
    if (this.started) throw new Error('EmbeddedScheduler.start() called twice');
    this.started = true;
    for (const state of this.states.values()) {
      state.lastSucceededSlot = (await lastScheduledSuccess(this.deps.warehouse, state.spec.name))?.scheduled_at;
    }
    this.tick();
  }

  /**
   * Runs a job now, after any run of it in progress; does not move its schedule.
   * A call made before `stop()` still runs, and `stop()` waits for it.
   */
  runNow(job: JobName): Promise<JobOutcome> {
    let state: JobState;
    try {
      state = this.stateOf(job);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    const queued = (async () => {
      while (state.running) await state.running;
      const at = this.now();
      return this.launch(state, { job, runId: `embedded:${job}:manual:${at}`, trigger: 'manual', scheduledAt: at });
    })();
    this.manual.add(queued);
    const forget = () => this.manual.delete(queued);
    void queued.then(forget, forget);
    return queued;
  }

  /** Stops scheduling and waits for runs in progress, and manual runs already asked for, to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await Promise.all([...this.manual]);
    for (const state of this.states.values()) {
      while (state.running) await state.running;
    }
  }

  private stateOf(job: JobName): JobState {
    if (this.stopped) throw new Error(`scheduler stopped; cannot run ${job}`);
    const state = this.states.get(job);
    if (!state) throw new Error(`no job named ${job}; known: ${[...this.states.keys()].join(', ')}`);
    return state;
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

  private runScheduled(state: JobState, slot: number): void {
    state.lastAttemptedSlot = slot;
    const job = state.spec.name;
    const runId = `embedded:${job}:${new Date(slot).toISOString()}:${this.now()}`;
    void this.launch(state, { job, runId, trigger: 'schedule', scheduledAt: slot });
  }

  /** Never rejects: a failed job, or a failure to record it, is a `failed` outcome. */
  private launch(state: JobState, run: JobRunRequest): Promise<JobOutcome> {
    const running = executeJob(this.deps.activities, state.spec, run, this.now)
      .catch((error: unknown): JobOutcome => ({ status: 'failed', runId: run.runId, error: `recording the run failed: ${innermostMessage(error)}` }))
      .then((outcome) => {
        if (run.trigger === 'schedule' && outcome.status === 'succeeded') {
          state.lastSucceededSlot = Math.max(state.lastSucceededSlot ?? run.scheduledAt, run.scheduledAt);
        }
        state.running = undefined;
        // A slot that came due during this run (e.g. a long manual one) starts now, not at the next poll.
        if (this.started && !this.stopped) {
          clearTimeout(this.timer);
          this.tick();
        }
        try {
          this.deps.onOutcome?.(run.job, outcome);
        } catch (error) {
          console.error(`[strix] onOutcome for ${run.job} threw:`, error);
        }
        return outcome;
      });
    state.running = running;
    return running;
  }
}
