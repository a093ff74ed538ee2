/** The MCP tools that read: the project, events, funnels, metrics, audience and SQL. */
import { z } from 'zod';
import { rowsOfCompact } from '../sql-rows.ts';
import { audienceViews, dataModes, funnelModes, funnelUnits, levels, metricIntervals } from '../vocabulary.ts';
import { defineTool } from './tool.ts';

const time = (what: string) => z.string().optional().describe(`${what}: ISO 8601 (2024-05-01T12:00:00Z) or epoch milliseconds`);
const scope = {
  from: time('Start, inclusive'),
  to: time('End, exclusive'),
  data_mode: z.enum(dataModes).optional().describe('production (default): release builds; development: debug builds; all: both'),
  app_id: z.string().min(1).optional().describe("Only this app's data (ids from get_project)"),
};
const metricPath = (name: string) => `/v1/metrics/${name.split('/').map(encodeURIComponent).join('/')}`;
/** Most rows run_sql answers: the engine refuses a larger result, naming the limit, so the agent adds a LIMIT. */
const maxSqlRows = 1000;

const step = z.union([
  z.string().min(1).describe('An event name'),
  z
    .object({
      event: z.string().min(1),
      where: z
        .array(z.object({ property: z.string(), op: z.string().describe('eq, neq, contains, gt, lt, exists…'), value: z.union([z.string(), z.number()]).optional() }))
        .optional(),
    })
    .describe('An event name with conditions on its properties'),
]);

export const readTools = [
  defineTool({
    name: 'get_project',
    title: 'Project and apps',
    description: "The agent key's project (settings, retention) and its apps (ids, platforms, latest versions).",
    input: {},
    readOnly: true,
    async call(client) {
      const [project, { apps }] = await Promise.all([client.get('/v1/project'), client.get<{ apps: unknown[] }>('/v1/apps')]);
      return { project, apps };
    },
  }),
  defineTool({
    name: 'query_events',
    title: 'Query events',
    description: 'Stored events, newest first (default: the last 24 hours), with filters. Pages with next_cursor.',
    input: {
      ...scope,
      level: z.enum(levels).optional(),
      name: z.string().min(1).optional().describe('Event name'),
      user_id: z.string().min(1).optional(),
      session_id: z.string().min(1).optional(),
      limit: z.number().int().min(1).max(1000).default(50),
      cursor: z.string().optional().describe('next_cursor of the previous page'),
    },
    readOnly: true,
    call: (client, args) => client.get('/v1/events', args),
  }),
  defineTool({
    name: 'list_event_names',
    title: 'Event names',
    description: 'Event names of a range, most frequent first (for building funnels and filters).',
    input: { ...scope, q: z.string().min(1).optional().describe('Only names containing this text'), limit: z.number().int().min(1).max(1000).default(100) },
    readOnly: true,
    call: (client, args) => client.get('/v1/events/names', args),
  }),
  defineTool({
    name: 'list_funnels',
    title: 'Saved funnels',
    description: 'Saved funnel definitions, oldest first.',
    input: { limit: z.number().int().min(1).max(200).default(50), offset: z.number().int().min(0).default(0) },
    readOnly: true,
    call: (client, args) => client.get('/v1/funnels', args),
  }),
  defineTool({
    name: 'run_funnel',
    title: 'Run a funnel',
    description:
      'Conversion through ordered steps over a range: a saved funnel (funnel_id) or ad-hoc steps. Per step: count, conversion, drop-off, median time. ' +
      'Breakdown by an experiment (with significance), app_version or environment, or a user property.',
    input: {
      funnel_id: z.string().min(1).optional().describe('A saved funnel; else give steps'),
      steps: z.array(step).min(2).optional().describe('Ad-hoc steps, in order'),
      mode: z.enum(funnelModes).optional().describe('closed (in order within the window; default) or open'),
      by: z.enum(funnelUnits).optional().describe('Count users (default) or sessions'),
      window_seconds: z.number().int().min(1).optional().describe('Time to convert from step 1 (default 7 days)'),
      from: z.string().describe('Start: ISO 8601 or epoch ms'),
      to: z.string().describe('End, exclusive; at most 366 days after from'),
      data_mode: scope.data_mode,
      app_id: scope.app_id,
      breakdown: z
        .object({ experiment: z.string().optional(), property: z.enum(['app_version', 'environment']).optional(), user_property: z.string().optional() })
        .optional()
        .describe('Exactly one of experiment, property, user_property'),
    },
    readOnly: true,
    call(client, { funnel_id, steps, mode, by, window_seconds, ...range }) {
      if (funnel_id !== undefined) return client.post(`/v1/funnels/${encodeURIComponent(funnel_id)}/query`, range);
      const definition = { steps: (steps ?? []).map((s) => (typeof s === 'string' ? { event: s } : s)), mode, by, window_seconds };
      return client.post('/v1/funnels/query', { ...definition, ...range });
    },
  }),
  defineTool({
    name: 'list_metrics',
    title: 'Metrics',
    description: 'Metrics seen in a range (default: the last 7 days): counts of records, starts, completes, fails, abandons.',
    input: { ...scope, limit: z.number().int().min(1).max(1000).default(200) },
    readOnly: true,
    call: (client, args) => client.get('/v1/metrics', args),
  }),
  defineTool({
    name: 'query_metric',
    title: 'Query a metric',
    description: "One metric's summary and buckets (default: the last day, hourly): success rate, duration and value percentiles, users; optionally per group.",
    input: {
      name: z.string().min(1),
      ...scope,
      interval: z.enum(metricIntervals).default('hour'),
      group_by: z.string().optional().describe('app_id, app_version, environment, os_version, country…, tag:<key> or experiment:<name>'),
      limit: z.number().int().min(1).max(50).default(10).describe('Groups at most'),
    },
    readOnly: true,
    call: (client, { name, ...query }) => client.get(metricPath(name), query),
  }),
  defineTool({
    name: 'audience',
    title: 'Audience',
    description: 'active: DAU/WAU/MAU, new and returning people per UTC day (default 30 days). screens: top screens with exits and dwell. live: who is active in the last five minutes.',
    input: { view: z.enum(audienceViews).default('active'), ...scope, limit: z.number().int().min(1).max(1000).optional().describe('screens and live only') },
    readOnly: true,
    call(client, { view, from, to, limit, ...rest }) {
      if (view === 'live') return client.get('/v1/audience/live', { ...rest, limit });
      return client.get(`/v1/audience/${view}`, { ...rest, from, to, ...(view === 'screens' && { limit }) });
    },
  }),
  defineTool({
    name: 'run_sql',
    title: 'Run SQL',
    description:
      `Read-only ClickHouse SQL on the project's tables and views (events, issues, issue_occurrences, ...; DESCRIBE or SHOW TABLES to explore). ` +
      `Answers { columns, rows }; more than ${maxSqlRows} rows is refused: aggregate or add a LIMIT.`,
    input: { query: z.string().min(1), params: z.record(z.string(), z.string()).optional().describe('Query parameters, used as {name:Type}') },
    readOnly: true,
    async call(client, { query, params }) {
      const response = await client.sql(query, 'JSONCompactEachRowWithNames', params ?? {}, { max_result_rows: String(maxSqlRows) });
      const text = await response.text();
      if (response.headers.get('x-clickhouse-format') !== 'JSONCompactEachRowWithNames') return { text };
      const { names, rows } = rowsOfCompact(text);
      return { columns: names, rows };
    },
  }),
];
