import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { JobRunStatus, isJobName, jobNames, jobType, projectJobNames, type JobName, type JobRun } from '@strix/contracts';
import { auditInProject } from '@strix/control';
import { ApiError, ErrorBody, errorResponses, parseBody, parseQuery, type ZodRoutes } from '@strix/http';
import { actorOf } from '../actor.ts';
import { triggerProjectJob } from '../job-trigger.ts';

const read = { keyType: 'agent', permission: 'jobs:read' } as const;
const write = { keyType: 'agent', permission: 'jobs:write' } as const;
const tags = ['jobs'];
const maxListed = 100;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export const JobRunJson = z.object({
  id: z.string(),
  type: z.string().meta({ description: 'The job (see `jobs` of GET /v1/jobs)' }),
  status: JobRunStatus,
  trigger: z.enum(['schedule', 'manual']),
  params: z.record(z.string(), z.unknown()),
  triggered_by: z.object({ type: z.enum(['user', 'key']), id: z.string(), label: z.string() }).nullable(),
  notify: z.boolean(),
  progress: z.object({ processed: z.number(), total: z.number().nullable(), message: z.string() }),
  summary: z.record(z.string(), z.unknown()).nullable(),
  error: z.string(),
  cancel_requested: z.boolean(),
  created_at: z.string(),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
  updated_at: z.string(),
});

export const runView = (run: JobRun): z.input<typeof JobRunJson> => ({
  id: run.id,
  type: run.job,
  status: run.status,
  trigger: run.trigger,
  params: run.params,
  triggered_by: run.triggered_by,
  notify: run.notify,
  progress: run.progress,
  summary: run.summary,
  error: run.error,
  cancel_requested: run.cancel_requested,
  created_at: new Date(run.created_at).toISOString(),
  started_at: iso(run.started_at),
  finished_at: iso(run.finished_at),
  updated_at: new Date(run.updated_at).toISOString(),
});

const JobTypeJson = z.object({
  type: z.string(),
  description: z.string(),
  scope: z.enum(['system', 'project']).meta({ description: 'system: scheduled over every project; project: also triggered for one project' }),
  triggerable: z.boolean().meta({ description: 'Whether POST /v1/jobs/{type} runs it for this project' }),
  interval_seconds: z.number().nullable(),
  next_run_at: z.string().nullable().meta({ description: 'When the schedule runs it next (system jobs)' }),
  last_run: z
    .object({ status: JobRunStatus, created_at: z.string(), finished_at: z.string().nullable() })
    .nullable()
    .meta({ description: "The schedule's latest run (system jobs; their summaries cover every project and are not shown)" }),
});

const ListQuery = z.strictObject({
  type: z.enum(jobNames, { message: `must be one of ${jobNames.join(', ')}` }).optional(),
  status: z.enum(JobRunStatus.options, { message: `must be one of ${JobRunStatus.options.join(', ')}` }).optional(),
  limit: z.coerce
    .number({ error: 'must be an integer' })
    .int({ error: 'must be an integer' })
    .min(1, { error: 'must be at least 1' })
    .max(maxListed, { error: `must be at most ${maxListed}` })
    .default(50),
  before: z.string().min(1).max(200).optional().meta({ description: 'Runs created before this run id (the last id of the previous page)' }),
});

const TriggerBody = z.strictObject({
  params: z.record(z.string(), z.unknown()).default({}).meta({ description: "The job's parameters (see its type)" }),
  notify: z.boolean().default(false).meta({ description: 'Mail the signed-in person who triggers it when it ends' }),
});

const TypeParams = z.object({ type: z.string().meta({ description: `A project job: ${projectJobNames.join(', ')}` }) });
const IdParams = z.object({ id: z.string().meta({ description: "The run's id" }) });

const ConflictBody = ErrorBody.extend({ active_run_id: z.string().meta({ description: 'The run under way' }) });

/** What a route that starts a project job answers: 202 with the run, or 409 naming the run under way. */
export const TriggerResponses = { 202: z.object({ run: JobRunJson }), 409: ConflictBody };

/** Answers a `triggerProjectJob` outcome; `busy` adds what the caller should do about a run under way. */
export function answerTrigger(reply: FastifyReply, job: JobName, opened: { run: JobRun } | { active: JobRun }, busy = ''): FastifyReply {
  if ('active' in opened) {
    const { id, status } = opened.active;
    return reply.code(409).send({ error: 'conflict', message: `a ${job} run is already ${status} in this project: ${id}${busy && `; ${busy}`}`, active_run_id: id });
  }
  return reply.code(202).send({ run: runView(opened.run) });
}

/**
 * Background jobs of the caller's project: what runs (system jobs, with their
 * next run) and the project's own runs, triggered by admins (jobs:write) one
 * per job type at a time, cancelled cooperatively.
 */
export const jobRoutes: ZodRoutes = async (app) => {
  const { runs } = app.jobs;

  /** The project's run, or 404: another project's run and system runs are not the caller's. */
  async function projectRun(projectId: string, id: string): Promise<JobRun> {
    const run = await runs.get(id);
    if (!run || run.project_id !== projectId) throw new ApiError('not_found', `job run ${id} does not exist in this project`);
    return run;
  }

  app.get(
    '/v1/jobs',
    {
      config: read,
      schema: {
        summary: "The jobs Strix runs and this project's runs, newest first",
        tags,
        querystring: ListQuery,
        response: { 200: z.object({ jobs: z.array(JobTypeJson), runs: z.array(JobRunJson) }), ...errorResponses },
      },
    },
    async (request) => {
      const q = parseQuery(ListQuery, request.query);
      const projectId = request.principal.projectId;
      const now = Date.now();
      const jobs = await Promise.all(
        jobNames.map(async (name) => {
          const intervalMs = app.jobs.intervalsMs[name];
          const [last] = intervalMs === undefined ? [] : await runs.list({ job: name, systemOnly: true, limit: 1 });
          return {
            type: name,
            description: jobType(name).description,
            scope: intervalMs === undefined ? ('project' as const) : ('system' as const),
            triggerable: projectJobNames.includes(name) && name !== 'person_delete',
            interval_seconds: intervalMs === undefined ? null : intervalMs / 1000,
            next_run_at: intervalMs === undefined ? null : new Date((Math.floor(now / intervalMs) + 1) * intervalMs).toISOString(),
            last_run: last ? { status: last.status, created_at: new Date(last.created_at).toISOString(), finished_at: iso(last.finished_at) } : null,
          };
        }),
      );
      const listed = await runs.list({ projectId, limit: q.limit, ...(q.type && { job: q.type }), ...(q.status && { status: q.status }), ...(q.before && { before: q.before }) });
      return { jobs, runs: listed.map(runView) };
    },
  );

  app.get(
    '/v1/jobs/:id',
    {
      config: read,
      schema: { summary: 'One run of a job, with its progress', tags, params: IdParams, response: { 200: z.object({ run: JobRunJson }), ...errorResponses } },
    },
    async (request) => ({ run: runView(await projectRun(request.principal.projectId, (request.params as { id: string }).id)) }),
  );

  app.post(
    '/v1/jobs/:type',
    {
      config: write,
      schema: {
        summary: 'Starts a project job; one run per job type at a time',
        tags,
        params: TypeParams,
        body: TriggerBody,
        response: { ...TriggerResponses, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { type } = request.params as { type: string };
      const job = isJobName(type) && projectJobNames.includes(type) ? type : undefined;
      if (!job) throw new ApiError('not_found', `type: no project job named ${JSON.stringify(type.slice(0, 100))}; project jobs: ${projectJobNames.join(', ')}`);
      // Erasing a person takes the project admins' permission (projects:write), not jobs:write: only its own route starts it.
      if (job === 'person_delete') throw new ApiError('forbidden', 'type: person_delete starts from POST /v1/people/{user_id}/delete (projects:write)');
      const body = parseBody(TriggerBody, request.body ?? {});
      const params = parseJobParams(job, body.params);
      const actor = actorOf(request);
      if (body.notify && actor.type !== 'user') throw new ApiError('bad_request', 'notify: only a signed-in person can be mailed; a key has no address');
      return answerTrigger(reply, job, await triggerProjectJob(app, { projectId: request.principal.projectId, job, params, actor, notify: body.notify }));
    },
  );

  app.post(
    '/v1/jobs/:id/cancel',
    {
      config: write,
      schema: {
        summary: 'Cancels a run: a pending one at once, a running one at its next progress report',
        tags,
        params: IdParams,
        response: { 200: z.object({ run: JobRunJson }), ...errorResponses },
      },
    },
    async (request) => {
      const projectId = request.principal.projectId;
      const run = await projectRun(projectId, (request.params as { id: string }).id);
      if (run.status !== 'pending' && run.status !== 'running') throw new ApiError('conflict', `job run ${run.id} already ended: ${run.status}`);
      const cancelled = (await runs.requestCancel(run.id, Date.now())) ?? run;
      await auditInProject(app.control.db, actorOf(request), projectId, { action: 'job.cancel_requested', targetType: 'job_run', targetId: run.id, details: { job: run.job } });
      return { run: runView(cancelled) };
    },
  );
};

/** A job's parameters by its own schema, errors naming `params.<field>`. */
function parseJobParams(job: JobName, params: Record<string, unknown>): Record<string, unknown> {
  const schema = jobType(job).projectParams;
  if (!schema) throw new ApiError('not_found', `type: ${job} is not a project job`);
  const parsed = schema.safeParse(params);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = ['params', ...(issue?.path ?? []).map(String), ...(issue?.code === 'unrecognized_keys' ? [issue.keys[0] ?? ''] : [])].join('.');
  throw new ApiError('bad_request', `${field}: ${issue?.code === 'unrecognized_keys' ? `is not a parameter of ${job}` : (issue?.message ?? 'invalid')}`);
}
