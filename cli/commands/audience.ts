/** Audience: active people per day, top screens, and who is active now. */
import type { CommandSpec } from '../command.ts';
import { UsageError } from '../failures.ts';
import type { Listing, Row } from '../output.ts';
import { percent } from '../output.ts';
import { integer, readScopeOptions, scopeQuery } from '../read-scope.ts';
import { audienceViews } from '../vocabulary.ts';

type View = (typeof audienceViews)[number];
const isView = (v: string): v is View => (audienceViews as readonly string[]).includes(v);
const numbers = (...keys: string[]) => keys.map((key) => ({ key, numeric: true }));

/** A view's answer as a listing: its rows, and the whole answer for JSON. */
function listingOf(view: View, answer: Row): Listing {
  switch (view) {
    case 'active':
      return { rows: (answer.days as Row[]) ?? [], columns: [{ key: 'day' }, ...numbers('dau', 'wau', 'mau', 'new', 'returning', 'sessions', 'events')], json: answer };
    case 'screens':
      return {
        rows: (answer.screens as Row[]) ?? [],
        columns: [{ key: 'screen_name' }, ...numbers('views', 'people', 'exits'), { key: 'exit_rate', value: (r) => percent(r.exit_rate), numeric: true }, { key: 'median_dwell_seconds', numeric: true }],
        json: answer,
      };
    case 'live': {
      // One row per breakdown value: what is live now, by country, OS version and route.
      const part = (kind: string, field: string) => ((answer[kind] as Row[] | undefined) ?? []).map((r) => ({ by: field, value: r[field], people: r.people }));
      const rows = [{ by: 'total', value: `last ${String(answer.window_seconds)} s`, people: answer.people }, ...part('countries', 'country'), ...part('os_versions', 'os_version'), ...part('routes', 'screen_name')];
      return { rows, columns: [{ key: 'by' }, { key: 'value' }, ...numbers('people')], json: answer };
    }
    default: {
      const unreachable: never = view;
      throw new Error(`unknown audience view ${String(unreachable)}`);
    }
  }
}

export const audienceCommands: CommandSpec[] = [
  {
    path: ['audience'],
    summary: 'Active people per day, top screens, or who is active now',
    details:
      'active: DAU, WAU, MAU, new and returning people per UTC day (default: the last 30 days).\n' +
      'screens: top screens and routes with exits and dwell.   live: the last five minutes (no range).',
    args: [{ name: 'view', choices: audienceViews, description: `${audienceViews.join(', ')} (default active)` }],
    options: { ...readScopeOptions, limit: { type: 'string', valueName: 'N', description: 'screens and live: rows at most (at most 1000)' } },
    output: true,
    remote: true,
    examples: ['strix audience --from 90d', 'strix audience screens --limit 20', 'strix audience live --format json'],
    async run(ctx) {
      const view = typeof ctx.args.view === 'string' && isView(ctx.args.view) ? ctx.args.view : 'active';
      const scope = scopeQuery(ctx.options);
      const limit = integer(ctx.options, 'limit', 1, 1000);
      if (view === 'active' && limit !== undefined) throw new UsageError('--limit applies to screens and live', 'audience');
      if (view === 'live' && (scope.from !== undefined || scope.to !== undefined)) throw new UsageError('live has no range: it reads the last five minutes', 'audience');
      const query = view === 'live' ? { data_mode: scope.data_mode, app_id: scope.app_id, limit } : { ...scope, ...(view === 'screens' && { limit }) };
      const answer = await (await ctx.client()).get<Row>(`/v1/audience/${view}`, query);
      ctx.print(listingOf(view, answer));
    },
  },
];
