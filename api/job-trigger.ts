import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { recordedParams, type JobName, type JobRun } from '@strix/contracts';
import { auditInProject, type Actor } from '@strix/control';
import { ApiError } from '@strix/http';

/**
 * Opens a project job's run as pending and hands it to the scheduler: the run,
 * or `{ active }` when one of the job is under way in the project. A run the
 * scheduler could not take is failed with the reason and answered 503.
 */
export async function triggerProjectJob(
  app: FastifyInstance,
  request: { projectId: string; job: JobName; params: Record<string, unknown>; actor: Actor; notify?: boolean },
): Promise<{ run: JobRun } | { active: JobRun }> {
  const { runs } = app.jobs;
  const { projectId, job, params, actor } = request;
  const now = Date.now();
  const triggeredBy = actor.type === 'system' ? null : { type: actor.type, id: actor.id, label: actor.label };
  const opened = await runs.open(
    { id: randomUUID(), job, project_id: projectId, trigger: 'manual', params, triggered_by: triggeredBy, notify: request.notify ?? false, scheduled_at: now },
    'pending',
    now,
  );
  if ('active' in opened) return opened;
  const { run } = opened;
  await auditInProject(app.control.db, actor, projectId, { action: 'job.triggered', targetType: 'job_run', targetId: run.id, details: { job, params: recordedParams(job, params) } });
  try {
    await app.jobs.dispatch(run);
  } catch (error) {
    await runs.finish(run.id, { status: 'failed', error: `could not be started: ${String(error)}` }, Date.now());
    console.error(`[strix] job run ${run.id} (${job}) could not be handed to the scheduler:`, error);
    throw new ApiError('overloaded', `the ${job} run could not be handed to the scheduler; try again`, 30);
  }
  return { run: (await runs.get(run.id)) ?? run };
}
