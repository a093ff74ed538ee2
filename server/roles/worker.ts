import type { RoleContext, RunningRole } from './role.ts';

/**
 * Background jobs (`jobTypes` of @strix/contracts): the system jobs on their
 * schedules and the runs people trigger, on the Temporal worker or the
 * in-process scheduler.
 */
export async function startWorkerRole(ctx: RoleContext): Promise<RunningRole> {
  const { jobs } = ctx;
  if (!jobs) throw new Error('the worker role needs the control plane');
  await jobs.startScheduling();
  return { problem: () => jobs.problem() };
}
