import { z } from 'zod';
import {
  FunnelBreakdown,
  FunnelLimits,
  FunnelPatch,
  NewFunnel,
  TrendIntervals,
  checkDefinition,
  definitionFields,
  type FunnelDefinition,
  type FunnelReport,
  type SavedFunnel,
  type TrendInterval,
} from '@strix/analytics';
import { ApiError, NoContent, bodyTime, errorResponses, parseBody, parseQuery, readScope, readScopeFields, type ZodRoutes } from '@strix/http';
import { FunnelDefinitionJson, FunnelReportJson, FunnelTrendJson, SavedFunnelJson } from './funnel-schemas.ts';

const dayMs = 86_400_000;
const read = { keyType: 'agent', permission: 'funnels:read' } as const;
const write = { keyType: 'agent', permission: 'funnels:write' } as const;
const tags = ['funnels'];
const IdParams = z.object({ id: z.string().meta({ description: 'The saved funnel’s id' }) });

/** The read scope in a body: times as text or epoch ms, both required. */
const readRangeFields = {
  from: bodyTime,
  to: bodyTime,
  data_mode: readScopeFields.data_mode,
  app_id: readScopeFields.app_id,
};
const rangeFields = { ...readRangeFields, breakdown: FunnelBreakdown.optional() };

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

/** A trend reads the range per period instead of splitting it by a breakdown. */
const interval = z
  .enum(TrendIntervals, { message: `must be one of ${TrendIntervals.join(', ')}` })
  .default('day')
  .meta({ description: 'Periods of the trend: UTC days, or weeks starting on Monday' });
const AdHocTrend = z
  .object({ ...definitionFields, ...readRangeFields, interval })
  .strict()
  .superRefine((q, ctx) => {
    checkDefinition(q, ctx);
    checkRange(q, ctx);
  });
const SavedTrend = z.object({ ...readRangeFields, interval }).strict().superRefine(checkRange);
/** The read scope of a query or a trend. */
type ReadRange = Omit<z.infer<typeof SavedTrend>, 'interval'>;

const iso = (ms: number) => new Date(ms).toISOString();

const definitionJson = (d: FunnelDefinition): z.input<typeof FunnelDefinitionJson> => ({
  steps: d.steps,
  mode: d.mode,
  window_seconds: d.window_seconds,
  strict_order: d.strict_order,
  exclusions: d.exclusions,
  by: d.by,
});
const savedJson = (f: SavedFunnel): z.input<typeof SavedFunnelJson> => ({
  id: f.id,
  name: f.name,
  ...definitionJson(f.definition),
  created_at: iso(f.created_at),
  updated_at: iso(f.updated_at),
});

function notFound(id: string): never {
  throw new ApiError('not_found', `no funnel ${id} in this project`);
}

const OneFunnel = z.object({ funnel: SavedFunnelJson });
const FunnelPage = z.object({ funnels: z.array(SavedFunnelJson), next_offset: z.number().int().nullable() });

/**
 * Funnels for agent keys: ad-hoc queries and saved definitions. Reading and
 * running need `events:read`; saving, changing and deleting `funnels:write`.
 * A funnel of another project is not found.
 */
export const funnelsRoutes: ZodRoutes = async (app) => {
  /** The events a range reads, and the range as read (data mode resolved) for the answer. */
  function readRange(projectId: string, range: ReadRange) {
    const scope = readScope(projectId, range);
    return {
      funnelScope: { projectId, fromMs: range.from, toMs: range.to, isDev: scope.isDev, appId: scope.appId },
      read: { from: iso(range.from), to: iso(range.to), data_mode: scope.dataMode, app_id: scope.appId ?? null },
    };
  }

  async function report(projectId: string, definition: FunnelDefinition, range: Range) {
    const { funnelScope, read } = readRange(projectId, range);
    const result: FunnelReport = await app.analytics.funnels.run(funnelScope, definition, range.breakdown);
    return { ...read, breakdown: range.breakdown ?? null, ...result };
  }

  async function trend(projectId: string, definition: FunnelDefinition, range: ReadRange & { interval: TrendInterval }) {
    const { funnelScope, read } = readRange(projectId, range);
    return { ...read, interval: range.interval, points: await app.analytics.funnels.trend(funnelScope, definition, range.interval) };
  }

  app.post(
    '/v1/funnels/trend',
    { config: read, schema: { summary: 'A funnel definition’s conversion per day or week of entry', tags, body: AdHocTrend, response: { 200: FunnelTrendJson(FunnelDefinitionJson), ...errorResponses } } },
    async (request) => {
      const { from, to, data_mode, app_id, interval, ...definition } = parseBody(AdHocTrend, request.body);
      return { funnel: definitionJson(definition), ...(await trend(request.principal.projectId, definition, { from, to, data_mode, app_id, interval })) };
    },
  );

  app.post(
    '/v1/funnels/:id/trend',
    { config: read, schema: { summary: 'A saved funnel’s conversion per day or week of entry', tags, params: IdParams, body: SavedTrend, response: { 200: FunnelTrendJson(SavedFunnelJson), ...errorResponses } } },
    async (request) => {
      const { id } = request.params as { id: string };
      const range = parseBody(SavedTrend, request.body);
      const funnel = (await app.analytics.funnels.get(request.principal.projectId, id)) ?? notFound(id);
      return { funnel: savedJson(funnel), ...(await trend(request.principal.projectId, funnel.definition, range)) };
    },
  );

  app.post(
    '/v1/funnels/query',
    { config: read, schema: { summary: 'Run a funnel definition over a range', tags, body: AdHocQuery, response: { 200: FunnelReportJson(FunnelDefinitionJson), ...errorResponses } } },
    async (request) => {
      const { from, to, data_mode, app_id, breakdown, ...definition } = parseBody(AdHocQuery, request.body);
      return { funnel: definitionJson(definition), ...(await report(request.principal.projectId, definition, { from, to, data_mode, app_id, breakdown })) };
    },
  );

  app.post(
    '/v1/funnels',
    { config: write, schema: { summary: 'Save a funnel', tags, body: NewFunnel, response: { 201: OneFunnel, ...errorResponses } } },
    async (request, reply) => {
      const funnel = await app.analytics.funnels.create(request.principal.projectId, parseBody(NewFunnel, request.body));
      return reply.code(201).send({ funnel: savedJson(funnel) });
    },
  );

  // Paged: a project's saved definitions add up to megabytes, and one answer must not carry them all.
  app.get(
    '/v1/funnels',
    { config: read, schema: { summary: 'Saved funnels, oldest first, a page at a time', tags, querystring: FunnelListQuery, response: { 200: FunnelPage, ...errorResponses } } },
    async (request) => {
      const { limit, offset } = parseQuery(FunnelListQuery, request.query);
      // One more than asked tells whether another page follows.
      const funnels = await app.analytics.funnels.list(request.principal.projectId, { limit: limit + 1, offset });
      return { funnels: funnels.slice(0, limit).map(savedJson), next_offset: funnels.length > limit ? offset + limit : null };
    },
  );

  app.get(
    '/v1/funnels/:id',
    { config: read, schema: { summary: 'A saved funnel', tags, params: IdParams, response: { 200: OneFunnel, ...errorResponses } } },
    async (request) => {
      const { id } = request.params as { id: string };
      const funnel = (await app.analytics.funnels.get(request.principal.projectId, id)) ?? notFound(id);
      return { funnel: savedJson(funnel) };
    },
  );

  app.patch(
    '/v1/funnels/:id',
    { config: write, schema: { summary: 'Rename a saved funnel or change its definition', tags, params: IdParams, body: FunnelPatch, response: { 200: OneFunnel, ...errorResponses } } },
    async (request) => {
      const { id } = request.params as { id: string };
      const patch = parseBody(FunnelPatch, request.body);
      // The merged definition is checked as a whole; its problems are the body's.
      const funnel = (await parseMerged(() => app.analytics.funnels.update(request.principal.projectId, id, patch))) ?? notFound(id);
      return { funnel: savedJson(funnel) };
    },
  );

  app.delete(
    '/v1/funnels/:id',
    { config: write, schema: { summary: 'Delete a saved funnel', tags, params: IdParams, response: { 204: NoContent, ...errorResponses } } },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      if (!(await app.analytics.funnels.delete(request.principal.projectId, id))) notFound(id);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/funnels/:id/query',
    { config: read, schema: { summary: 'Run a saved funnel over a range', tags, params: IdParams, body: SavedQuery, response: { 200: FunnelReportJson(SavedFunnelJson), ...errorResponses } } },
    async (request) => {
      const { id } = request.params as { id: string };
      const range = parseBody(SavedQuery, request.body);
      const funnel = (await app.analytics.funnels.get(request.principal.projectId, id)) ?? notFound(id);
      return { funnel: savedJson(funnel), ...(await report(request.principal.projectId, funnel.definition, range)) };
    },
  );
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
