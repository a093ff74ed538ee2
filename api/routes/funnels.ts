import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import {
  FunnelBreakdown,
  FunnelLimits,
  FunnelPatch,
  NewFunnel,
  checkDefinition,
  createFunnel,
  deleteFunnel,
  definitionFields,
  getFunnel,
  listFunnels,
  runFunnel,
  updateFunnel,
  type FunnelDefinition,
  type FunnelReport,
  type SavedFunnel,
} from '@strix/analytics';
import { DataMode, IngestLimits, isDevFor } from '@strix/contracts';
import { ApiError, errorResponseSchema } from '@strix/http';
import { parseBody, parseQuery } from '@strix/http';
import { bodyTime } from '@strix/http';

const dayMs = 86_400_000;
const errors = { '4xx': errorResponseSchema, '5xx': errorResponseSchema };
const read = { keyType: 'agent', permission: 'events:read' } as const;
const write = { keyType: 'agent', permission: 'funnels:write' } as const;
const idParams = { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] } as const;

const rangeFields = {
  from: bodyTime,
  to: bodyTime,
  data_mode: DataMode,
  app_id: z.string().min(1, { message: 'must not be empty' }).max(IngestLimits.maxShortFieldChars).optional(),
  breakdown: FunnelBreakdown.optional(),
};

function checkRange(q: { from: number; to: number }, ctx: z.RefinementCtx): void {
  if (q.from >= q.to) ctx.addIssue({ code: 'custom', path: ['from'], message: 'must be before to' });
  else if (q.to - q.from > FunnelLimits.maxRangeDays * dayMs) {
    ctx.addIssue({ code: 'custom', path: ['to'], message: `must be at most ${FunnelLimits.maxRangeDays} days after from` });
  }
}

const AdHocQuery = z
  .object({ ...definitionFields, ...rangeFields })
  .strict()
  .superRefine((q, ctx) => {
    checkDefinition(q, ctx);
    checkRange(q, ctx);
  });
const SavedQuery = z.object(rangeFields).strict().superRefine(checkRange);
type Range = z.infer<typeof SavedQuery>;

const iso = (ms: number) => new Date(ms).toISOString();

const definitionJson = (d: FunnelDefinition) => ({
  steps: d.steps,
  mode: d.mode,
  window_seconds: d.window_seconds,
  strict_order: d.strict_order,
  exclusions: d.exclusions,
  by: d.by,
});
const savedJson = (f: SavedFunnel) => ({ id: f.id, name: f.name, ...definitionJson(f.definition), created_at: iso(f.created_at), updated_at: iso(f.updated_at) });

async function report(app: Parameters<FastifyPluginAsync>[0], projectId: string, definition: FunnelDefinition, q: Range): Promise<FunnelReport> {
  return runFunnel(app.warehouse, { projectId, fromMs: q.from, toMs: q.to, isDev: isDevFor(q.data_mode), appId: q.app_id }, definition, q.breakdown);
}
const rangeJson = (q: Range) => ({ from: iso(q.from), to: iso(q.to), data_mode: q.data_mode, app_id: q.app_id ?? null, breakdown: q.breakdown ?? null });

function notFound(id: string): never {
  throw new ApiError('not_found', `no funnel ${id} in this project`);
}

// Response schemas: fastify serializes by them, so every field sent is listed.
const str = { type: 'string' } as const;
const num = { type: 'number' } as const;
const int = { type: 'integer' } as const;
const list = (items: object) => ({ type: 'array', items });
const filterSchema = { type: 'object', properties: { property: str, op: str, value: { type: ['string', 'number'] } } };
const stepFields = { event: str, where: list(filterSchema) };
const definitionProperties = {
  steps: list({ type: 'object', properties: stepFields }),
  mode: str,
  window_seconds: int,
  strict_order: { type: 'boolean' },
  exclusions: list({ type: 'object', properties: { ...stepFields, from_step: int, to_step: int } }),
  by: str,
};
const savedSchema = {
  type: 'object',
  properties: { id: str, name: str, ...definitionProperties, created_at: str, updated_at: str },
  required: ['id', 'name', 'steps', 'mode', 'window_seconds', 'strict_order', 'exclusions', 'by', 'created_at', 'updated_at'],
};
const nullableNum = { type: ['number', 'null'] } as const;
const groupSchema = {
  type: 'object',
  properties: {
    value: { type: ['string', 'null'] },
    steps: list({
      type: 'object',
      properties: { event: str, count: int, conversion_rate: num, step_conversion_rate: num, drop_off: int, drop_off_rate: num, median_seconds_to_convert: nullableNum },
    }),
    totals: { type: 'object', properties: { entered: int, converted: int, conversion_rate: num, median_seconds_to_convert: nullableNum } },
  },
};
const experimentSchema = {
  type: 'object',
  properties: {
    control: str,
    confidence: num,
    verdict: str,
    variants: list({
      type: 'object',
      properties: {
        variant: str, users: int, conversions: int, rate: num, rate_ci: list(num), sample_too_small: { type: 'boolean' },
        vs_control: { type: 'object', properties: { difference: num, difference_ci: list(num), z: num, p_value: num, significant: { type: 'boolean' } } },
      },
    }),
  },
};
const reportSchema = (funnel: object) => ({
  type: 'object',
  properties: {
    funnel,
    from: str,
    to: str,
    data_mode: str,
    app_id: { type: ['string', 'null'] },
    breakdown: { type: ['object', 'null'], properties: { experiment: str, property: str, user_property: str } },
    groups: list(groupSchema),
    experiment: experimentSchema,
  },
  required: ['funnel', 'from', 'to', 'groups'],
});
const one = { type: 'object', properties: { funnel: savedSchema }, required: ['funnel'] };

/**
 * Funnels for agent keys: ad-hoc queries and saved definitions. Reading and
 * running need `events:read`; saving, changing and deleting `funnels:write`.
 * A funnel of another project is not found.
 */
export const funnelsRoutes: FastifyPluginAsync = async (app) => {
  app.post('/v1/funnels/query', { config: read, schema: { response: { 200: reportSchema({ type: 'object', properties: definitionProperties }), ...errors } } }, async (request) => {
    const { from, to, data_mode, app_id, breakdown, ...definition } = parseBody(AdHocQuery, request.body);
    const range = { from, to, data_mode, app_id, breakdown };
    return { funnel: definitionJson(definition), ...rangeJson(range), ...(await report(app, request.principal.projectId, definition, range)) };
  });

  app.post('/v1/funnels', { config: write, schema: { response: { 201: one, ...errors } } }, async (request, reply) => {
    const funnel = await createFunnel(app.warehouse, request.principal.projectId, parseBody(NewFunnel, request.body));
    return reply.code(201).send({ funnel: savedJson(funnel) });
  });

  // Paged: a project's saved definitions add up to megabytes, and one answer must not carry them all.
  app.get(
    '/v1/funnels',
    { config: read, schema: { response: { 200: { type: 'object', properties: { funnels: list(savedSchema), next_offset: { type: ['integer', 'null'] } }, required: ['funnels', 'next_offset'] }, ...errors } } },
    async (request) => {
      const { limit, offset } = parseQuery(FunnelListQuery, request.query);
      // One more than asked tells whether another page follows.
      const funnels = await listFunnels(app.warehouse, request.principal.projectId, { limit: limit + 1, offset });
      return { funnels: funnels.slice(0, limit).map(savedJson), next_offset: funnels.length > limit ? offset + limit : null };
    },
  );

  app.get('/v1/funnels/:id', { config: read, schema: { params: idParams, response: { 200: one, ...errors } } }, async (request) => {
    const { id } = request.params as { id: string };
    const funnel = (await getFunnel(app.warehouse, request.principal.projectId, id)) ?? notFound(id);
    return { funnel: savedJson(funnel) };
  });

  app.patch('/v1/funnels/:id', { config: write, schema: { params: idParams, response: { 200: one, ...errors } } }, async (request) => {
    const { id } = request.params as { id: string };
    const patch = parseBody(FunnelPatch, request.body);
    // The merged definition is checked as a whole; its problems are the body's.
    const funnel = (await parseMerged(() => updateFunnel(app.warehouse, request.principal.projectId, id, patch))) ?? notFound(id);
    return { funnel: savedJson(funnel) };
  });

  app.delete('/v1/funnels/:id', { config: write, schema: { params: idParams, response: { 204: { type: 'null' }, ...errors } } }, async (request, reply) => {
    const { id } = request.params as { id: string };
    if (!(await deleteFunnel(app.warehouse, request.principal.projectId, id))) notFound(id);
    return reply.code(204).send();
  });

  app.post('/v1/funnels/:id/query', { config: read, schema: { params: idParams, response: { 200: reportSchema(savedSchema), ...errors } } }, async (request) => {
    const { id } = request.params as { id: string };
    const range = parseBody(SavedQuery, request.body);
    const funnel = (await getFunnel(app.warehouse, request.principal.projectId, id)) ?? notFound(id);
    return { funnel: savedJson(funnel), ...rangeJson(range), ...(await report(app, request.principal.projectId, funnel.definition, range)) };
  });
};

const pageNumber = (min: number, max: number) =>
  z.coerce
    .number({ error: 'must be an integer' })
    .int({ error: 'must be an integer' })
    .min(min, { error: `must be at least ${min}` })
    .max(max, { error: `must be at most ${max}` });

/** `GET /v1/funnels`: a page of saved funnels, `next_offset` for the next one. */
const FunnelListQuery = z.strictObject({
  limit: pageNumber(1, 200).default(50),
  offset: pageNumber(0, 1_000_000).default(0),
});

/** Runs an update whose merged definition may be invalid, turning the schema's first complaint into a 400 like parseBody's. */
async function parseMerged<T>(update: () => Promise<T>): Promise<T> {
  try {
    return await update();
  } catch (error) {
    if (!(error instanceof z.ZodError)) throw error;
    const issue = error.issues[0];
    throw new ApiError('bad_request', `body field ${issue?.path.map(String).join('.') || 'steps'}: ${issue?.message ?? 'invalid'}`);
  }
}
