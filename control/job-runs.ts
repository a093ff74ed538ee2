import { jobTypes, type FinishedStatus, type JobName, type JobProgress, type JobRun, type JobRunFilter, type JobRunStore, type NewJobRun } from '@strix/contracts';
import type { ControlDb, ControlSql } from './db.ts';

const columns = `id, job, project_id, status, trigger, params, triggered_by, notify,
  json_build_object('processed', processed, 'total', total, 'message', message) AS progress,
  cursor, summary, error, cancel_requested, scheduled_at, created_at, started_at, finished_at, updated_at`;

const active = `status IN ('pending', 'running')`;

/**
 * `params` as a run keeps them once it ends: a job's person parameter (contracts' `personParam`) replaced by its
 * SHA-256. Built from the catalogue's constants, each checked to be a plain name before it is written into SQL.
 */
const endedParams = (() => {
  const cases = Object.entries(jobTypes).flatMap(([job, type]) => {
    const name = 'personParam' in type ? type.personParam : undefined;
    if (name === undefined) return [];
    if (!/^[a-z_]+$/.test(job) || !/^[a-z_]+$/.test(name)) throw new Error(`job ${job}: person parameter ${name} is not a plain name`);
    return [`WHEN '${job}' THEN (params - '${name}') || jsonb_build_object('${name}_sha256', encode(sha256(convert_to(params->>'${name}', 'UTF8')), 'hex'))`];
  });
  return cases.length === 0 ? 'params' : `CASE job ${cases.join(' ')} ELSE params END`;
})();

/**
 * An active run not heard of for this long lost its worker (Temporal ended
 * its workflow without letting it record the end, or a process died): the next
 * run of its job takes its place. Longer than any job step's timeout.
 */
export const abandonedAfterMs = 60 * 60_000;

/**
 * A run still pending this long was never handed over (the process that opened
 * it stopped first) or no worker took it: the next trigger of its job replaces
 * it rather than waiting out `abandonedAfterMs`. Should a worker take it after
 * all, it finds the run ended and does nothing.
 */
export const unstartedAfterMs = 10 * 60_000;

/** Runs of background jobs in the control plane (`sql/004_job_runs.sql`). */
export class JobRuns implements JobRunStore {
  constructor(private readonly db: ControlDb) {}

  async open(run: NewJobRun, status: 'pending' | 'running', at: number): Promise<{ run: JobRun } | { active: JobRun }> {
    return this.db.transaction(async (tx) => {
      const current = await activeRun(tx, run.job, run.project_id);
      const unstarted = current?.status === 'pending';
      if (current && current.updated_at > at - (unstarted ? unstartedAfterMs : abandonedAfterMs)) return { active: current };
      if (current) {
        const error = unstarted
          ? `abandoned: not started in ${unstartedAfterMs / 60_000} minutes (the process that opened it stopped, or no worker took it)`
          : `abandoned: nothing heard of it for ${abandonedAfterMs / 60_000} minutes (its worker is gone)`;
        await finishRun(tx, current.id, { status: 'failed', error }, at);
      }
      const [created] = await tx.query<JobRun>(
        `INSERT INTO job_runs (id, job, project_id, status, trigger, params, triggered_by, notify, scheduled_at, created_at, started_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8, $9, $10, $11, $10)
         ON CONFLICT DO NOTHING RETURNING ${columns}`,
        [run.id, run.job, run.project_id, status, run.trigger, JSON.stringify(run.params), run.triggered_by && JSON.stringify(run.triggered_by), run.notify, run.scheduled_at, at, status === 'running' ? at : null],
      );
      if (created) return { run: created };
      // Another transaction opened one first (the unique index), or this id exists already (a retried open).
      const existing = (await getRun(tx, run.id)) ?? (await activeRun(tx, run.job, run.project_id));
      if (!existing) throw new Error(`job run ${run.id}: neither inserted nor found`);
      return existing.id === run.id ? { run: existing } : { active: existing };
    });
  }

  async start(id: string, at: number): Promise<JobRun | undefined> {
    const [row] = await this.db.query<JobRun>(
      `UPDATE job_runs SET status = 'running', started_at = coalesce(started_at, $2), updated_at = $2
       WHERE id = $1 AND ${active} RETURNING ${columns}`,
      [id, at],
    );
    return row;
  }

  async progress(id: string, progress: Partial<JobProgress>, at: number, cursor?: unknown): Promise<{ cancelRequested: boolean }> {
    const [row] = await this.db.query<{ cancel_requested: boolean }>(
      `UPDATE job_runs SET processed = coalesce($2, processed), total = CASE WHEN $3::boolean THEN $4::int8 ELSE total END,
         message = coalesce($5, message), cursor = CASE WHEN $6::boolean THEN $7::jsonb ELSE cursor END, updated_at = $8
       WHERE id = $1 AND status = 'running' RETURNING cancel_requested`,
      [id, progress.processed ?? null, progress.total !== undefined, progress.total ?? null, progress.message ?? null, cursor !== undefined, JSON.stringify(cursor ?? null), at],
    );
    // A run that is no longer running (failed as abandoned, or cancelled) stops as if cancelled.
    return { cancelRequested: row?.cancel_requested ?? true };
  }

  finish(id: string, end: { status: FinishedStatus; summary?: Record<string, unknown>; error?: string }, at: number): Promise<JobRun | undefined> {
    return finishRun(this.db, id, end, at);
  }

  async requestCancel(id: string, at: number): Promise<JobRun | undefined> {
    const [pending] = await this.db.query<JobRun>(
      `UPDATE job_runs SET status = 'cancelled', cancel_requested = true, finished_at = $2, updated_at = $2, message = 'cancelled before it started', params = ${endedParams}
       WHERE id = $1 AND status = 'pending' RETURNING ${columns}`,
      [id, at],
    );
    if (pending) return pending;
    const [running] = await this.db.query<JobRun>(
      `UPDATE job_runs SET cancel_requested = true WHERE id = $1 AND status = 'running' RETURNING ${columns}`,
      [id],
    );
    return running ?? this.get(id);
  }

  get(id: string): Promise<JobRun | undefined> {
    return getRun(this.db, id);
  }

  list(filter: JobRunFilter): Promise<JobRun[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const param = (value: unknown) => {
      params.push(value);
      return `$${params.length}`;
    };
    if (filter.projectId !== undefined) where.push(`project_id = ${param(filter.projectId)}`);
    if (filter.systemOnly) where.push('project_id IS NULL');
    if (filter.job !== undefined) where.push(`job = ${param(filter.job)}`);
    if (filter.status !== undefined) where.push(`status = ${param(filter.status)}`);
    if (filter.before !== undefined) {
      const p = param(filter.before);
      where.push(`(created_at, id) < (SELECT created_at, id FROM job_runs WHERE id = ${p})`);
    }
    return this.db.query<JobRun>(
      `SELECT ${columns} FROM job_runs ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY created_at DESC, id DESC LIMIT ${param(filter.limit)}`,
      params,
    );
  }

  failRunning(reason: string, at: number): Promise<JobRun[]> {
    return this.db.query<JobRun>(
      `UPDATE job_runs SET status = 'failed', error = $1, finished_at = $2, updated_at = $2, params = ${endedParams} WHERE status = 'running' RETURNING ${columns}`,
      [reason, at],
    );
  }

  async suspend(id: string, message: string, at: number): Promise<JobRun | undefined> {
    const [row] = await this.db.query<JobRun>(
      `UPDATE job_runs SET status = 'pending', message = $2, updated_at = $3 WHERE id = $1 AND status = 'running' RETURNING ${columns}`,
      [id, message, at],
    );
    return row;
  }

  async lastScheduledSuccess(job: JobName): Promise<number | undefined> {
    const [row] = await this.db.query<{ at: number | null }>(
      `SELECT max(scheduled_at) AS at FROM job_runs WHERE job = $1 AND trigger = 'schedule' AND status = 'completed'`,
      [job],
    );
    return row?.at ?? undefined;
  }
}

async function getRun(db: ControlSql, id: string): Promise<JobRun | undefined> {
  const [row] = await db.query<JobRun>(`SELECT ${columns} FROM job_runs WHERE id = $1`, [id]);
  return row;
}

async function activeRun(db: ControlSql, job: string, projectId: string | null): Promise<JobRun | undefined> {
  const [row] = await db.query<JobRun>(
    `SELECT ${columns} FROM job_runs WHERE job = $1 AND coalesce(project_id, '') = coalesce($2, '') AND ${active} FOR UPDATE`,
    [job, projectId],
  );
  return row;
}

async function finishRun(db: ControlSql, id: string, end: { status: FinishedStatus; summary?: Record<string, unknown>; error?: string }, at: number): Promise<JobRun | undefined> {
  const [row] = await db.query<JobRun>(
    // A completed run did all it counted: its progress says so even when its last report came before the last item.
    `UPDATE job_runs SET status = $2, summary = $3::jsonb, error = $4, finished_at = $5, updated_at = $5, params = ${endedParams},
       processed = CASE WHEN $2 = 'completed' AND total IS NOT NULL THEN greatest(processed, total) ELSE processed END
     WHERE id = $1 AND ${active} RETURNING ${columns}`,
    [id, end.status, end.summary === undefined ? null : JSON.stringify(end.summary), end.error ?? '', at],
  );
  return row;
}
