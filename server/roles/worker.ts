import { startJobs } from '../scheduling.ts';
import type { RoleContext, RunningRole } from './role.ts';

/**
 * Scheduled jobs (retention sweep, issue scans and digests, comment purge,
 * metric-abandon): the Temporal worker and its schedules, or the in-process scheduler.
 */
export async function startWorkerRole(ctx: RoleContext): Promise<RunningRole> {
  if (!ctx.control || !ctx.issues) throw new Error('the worker role needs the control plane');
  const jobs = await startJobs(ctx.config, ctx.warehouse, ctx.control, ctx.issues);
  return { problem: () => jobs.problem(), stop: () => jobs.stop() };
}
