/** Funnels: the saved ones, and running a saved or ad-hoc funnel over a range. */
import type { CommandSpec, Context } from '../command.ts';
import { UsageError } from '../failures.ts';
import { readStdin } from '../input.ts';
import { percent, type Column, type Row } from '../output.ts';
import { integer, scopeOptions, text, texts, timeOption } from '../read-scope.ts';
import { funnelModes, funnelUnits } from '../vocabulary.ts';

const dayMs = 86_400_000;
/** The range a run reads when --from is not given. */
const defaultRangeDays = 30;
/** Beyond this a JavaScript Date is invalid. */
const maxDateMs = 8.64e15 - defaultRangeDays * dayMs;

/** `experiment:NAME`, `property:app_version`, `user_property:KEY` as the API's breakdown object. */
export function breakdownOf(value: string | undefined): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  const [, kind, name] = /^(experiment|property|user_property):(.+)$/.exec(value) ?? [];
  if (!kind || !name) throw new UsageError(`--breakdown ${JSON.stringify(value)}: expected experiment:NAME, property:app_version|environment or user_property:KEY`, 'funnels run');
  return { [kind]: name };
}

async function definitionOf(ctx: Context): Promise<Record<string, unknown> | undefined> {
  const given = text(ctx.options, 'definition');
  const steps = texts(ctx.options, 'step');
  if (given !== undefined && steps.length > 0) throw new UsageError('give --step or --definition, not both', 'funnels run');
  if (given !== undefined) {
    const raw = given === '-' ? await readStdin(ctx.io) : given;
    try {
      return JSON.parse(raw) as Record<string, unknown>;
    } catch (error) {
      throw new UsageError(`--definition: not JSON (${(error as Error).message})`, 'funnels run');
    }
  }
  if (steps.length === 0) return undefined;
  const window = integer(ctx.options, 'window', 1, 90 * 86_400);
  return {
    steps: steps.map((event) => ({ event })),
    ...(text(ctx.options, 'mode') && { mode: text(ctx.options, 'mode') }),
    ...(text(ctx.options, 'by') && { by: text(ctx.options, 'by') }),
    ...(window !== undefined && { window_seconds: window }),
  };
}

/** A report's groups and steps as rows: one per step (and breakdown value). */
export function stepRows(report: Row): Row[] {
  const groups = Array.isArray(report.groups) ? (report.groups as Row[]) : [];
  return groups.flatMap((group) =>
    (Array.isArray(group.steps) ? (group.steps as Row[]) : []).map((step, i) => ({ group: group.value ?? null, step: i + 1, ...step })),
  );
}

const stepColumns = (breakdown: boolean): Column[] => [
  ...(breakdown ? [{ key: 'group' }] : []),
  { key: 'step', numeric: true },
  { key: 'event' },
  { key: 'count', numeric: true },
  { key: 'conversion', value: (r) => percent(r.conversion_rate), numeric: true },
  { key: 'from_previous', value: (r) => percent(r.step_conversion_rate), numeric: true },
  { key: 'drop_off', numeric: true },
  { key: 'median_seconds', value: (r) => r.median_seconds_to_convert, numeric: true },
];

export const funnelCommands: CommandSpec[] = [
  {
    path: ['funnels', 'list'],
    summary: 'Saved funnels, oldest first',
    options: {
      limit: { type: 'string', valueName: 'N', description: 'Funnels at most (default 50, at most 200)' },
      offset: { type: 'string', valueName: 'N', description: 'Skip this many first' },
    },
    output: true,
    remote: true,
    async run(ctx) {
      const { funnels } = await (await ctx.client()).get<{ funnels: Row[] }>('/v1/funnels', { limit: integer(ctx.options, 'limit', 1, 200), offset: integer(ctx.options, 'offset', 0, 1_000_000) });
      ctx.print({
        rows: funnels,
        columns: [
          { key: 'id' },
          { key: 'name' },
          { key: 'steps', value: (r) => (Array.isArray(r.steps) ? (r.steps as Row[]).map((s) => s.event).join(' → ') : '') },
          { key: 'mode' },
          { key: 'by' },
          { key: 'updated_at' },
        ],
      });
    },
  },
  {
    path: ['funnels', 'run'],
    summary: 'Run a saved funnel, or steps given here, over a range (default: the last 30 days)',
    details:
      'A saved funnel by its id, or an ad-hoc one: --step for each event in order (with --mode, --by, --window),\n' +
      "or a whole definition as JSON with --definition (steps with 'where' filters, exclusions; '-' reads stdin).\n" +
      'Table and CSV print one row per step; --format json prints the whole report (with significance for an experiment breakdown).',
    args: [{ name: 'id', description: 'A saved funnel (see strix funnels list)' }],
    options: {
      step: { type: 'string', multiple: true, valueName: 'EVENT', description: 'A step: the event name' },
      definition: { type: 'string', valueName: 'JSON', description: "A funnel definition as JSON ('-': stdin)" },
      mode: { type: 'string', valueName: 'MODE', choices: funnelModes, description: 'closed (in order, within the window; default) or open' },
      by: { type: 'string', valueName: 'UNIT', choices: funnelUnits, description: 'Count users (default) or sessions' },
      window: { type: 'string', valueName: 'SECONDS', description: 'Time to convert from step 1 (default 7 days)' },
      breakdown: { type: 'string', valueName: 'BY', description: 'experiment:NAME, property:app_version|environment or user_property:KEY' },
      from: { type: 'string', valueName: 'TIME', description: 'Start: ISO 8601, epoch ms, or an age such as 7d (default 30d)' },
      to: { type: 'string', valueName: 'TIME', description: 'End, exclusive (default now)' },
      ...scopeOptions,
    },
    output: true,
    remote: true,
    examples: ['strix funnels run --step app_open --step signup --step purchase --from 7d', 'strix funnels run 6d1c… --breakdown experiment:paywall'],
    async run(ctx) {
      const id = typeof ctx.args.id === 'string' ? ctx.args.id : undefined;
      const definition = await definitionOf(ctx);
      if ((id === undefined) === (definition === undefined)) throw new UsageError('name a saved funnel (ID) or give its steps (--step, --definition), one of the two', 'funnels run');
      const now = Date.now();
      const to = timeOption(text(ctx.options, 'to'), now) ?? new Date(now).toISOString();
      // The default start counts back from --to; an unreadable --to is the server's to refuse.
      const toMs = /^\d+$/.test(to) ? Number(to) : Date.parse(to);
      const end = Number.isFinite(toMs) && Math.abs(toMs) < maxDateMs ? toMs : now;
      const from = timeOption(text(ctx.options, 'from'), now) ?? new Date(end - defaultRangeDays * dayMs).toISOString();
      const breakdown = breakdownOf(text(ctx.options, 'breakdown'));
      const range = { from, to, data_mode: text(ctx.options, 'data-mode'), app_id: text(ctx.options, 'app'), ...(breakdown && { breakdown }) };
      const client = await ctx.client();
      const report = id !== undefined ? await client.post<Row>(`/v1/funnels/${encodeURIComponent(id)}/query`, range) : await client.post<Row>('/v1/funnels/query', { ...definition, ...range });
      ctx.print({ rows: stepRows(report), columns: stepColumns(breakdown !== undefined), json: report });
    },
  },
];
