import type { JobName } from '@strix/contracts';
import type { JobBody, JobContext, JobSummary } from './jobs.ts';

/** A context for calling a job's body directly: no run is stored, progress goes nowhere. */
export function unattended(job: JobName, projectId: string | null = null): JobContext {
  return { run: { runId: `test:${job}`, job, projectId, params: {} }, progress: async () => {} };
}

/** Runs a body that finishes in one step and returns its summary. */
export async function runBody<S extends JobSummary = JobSummary>(body: JobBody, ctx: JobContext): Promise<S> {
  const result = await body(ctx);
  if ('continueFrom' in result) throw new Error(`${ctx.run.job} asked to continue; call it step by step`);
  return result as S;
}
