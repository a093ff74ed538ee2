/** Events: a filtered listing, the names seen, and a live tail. */
import type { CommandSpec } from '../command.ts';
import type { Row } from '../output.ts';
import { integer, readScopeOptions, scopeOptions, scopeQuery, text } from '../read-scope.ts';
import { EventsPage, eventColumns, eventFilterOptions, eventFilters, type EventRow } from './event-query.ts';
import { tailEvents } from './events-tail.ts';

/** The API's page size limit. */
const maxPage = 1000;

export const eventCommands: CommandSpec[] = [
  {
    path: ['events', 'list'],
    summary: 'Events, newest first (default: the last 24 hours)',
    details: 'GET /v1/events, following its pages until --limit events are printed.',
    options: {
      ...readScopeOptions,
      ...eventFilterOptions,
      limit: { type: 'string', valueName: 'N', description: 'Events at most (default 100)' },
      cursor: { type: 'string', valueName: 'CURSOR', description: 'Continue after an earlier listing (its next_cursor)' },
    },
    output: true,
    remote: true,
    examples: ['strix events list --level error --from 2h', 'strix events list --user u-42 --format json | jq ".[].message"'],
    async run(ctx) {
      const client = await ctx.client();
      const wanted = integer(ctx.options, 'limit', 1, 1_000_000) ?? 100;
      const base = { ...scopeQuery(ctx.options), ...eventFilters(ctx) };
      const events: EventRow[] = [];
      let cursor = text(ctx.options, 'cursor');
      do {
        const page = EventsPage.parse(await client.get('/v1/events', { ...base, limit: Math.min(maxPage, wanted - events.length), cursor }));
        events.push(...page.events);
        cursor = page.next_cursor ?? undefined;
      } while (cursor !== undefined && events.length < wanted);
      ctx.print({ rows: events, columns: eventColumns });
      if (cursor !== undefined && ctx.format === 'table') ctx.io.stderr.write(`More events: add --cursor ${cursor}\n`);
    },
  },
  {
    path: ['events', 'names'],
    summary: 'Event names of the range, most frequent first',
    options: {
      ...readScopeOptions,
      query: { type: 'string', short: 'q', valueName: 'TEXT', description: 'Only names containing this text (any case)' },
      limit: { type: 'string', valueName: 'N', description: 'Names at most (default 100, at most 1000)' },
    },
    output: true,
    remote: true,
    async run(ctx) {
      const limit = integer(ctx.options, 'limit', 1, 1000);
      const { names } = await (await ctx.client()).get<{ names: Row[] }>('/v1/events/names', { ...scopeQuery(ctx.options), q: text(ctx.options, 'query'), limit });
      ctx.print({ rows: names, columns: [{ key: 'name' }, { key: 'events', numeric: true }] });
    },
  },
  {
    path: ['events', 'tail'],
    summary: 'Follow new events as they are stored',
    details:
      'Prints the latest events (--lines), then polls GET /v1/events and prints each new one, oldest first,\n' +
      'until interrupted or --count events were printed. Events stamped more than two minutes before\n' +
      'they arrive (an offline queue flushed late) are not shown. With --format json: one object per line.',
    options: {
      ...scopeOptions,
      ...eventFilterOptions,
      lines: { type: 'string', short: 'n', valueName: 'N', description: 'Recent events shown first (default 10; 0 for none)' },
      count: { type: 'string', valueName: 'N', description: 'Exit after printing N events' },
      interval: { type: 'string', valueName: 'SECONDS', description: 'Between polls (default 2)' },
    },
    output: true,
    remote: true,
    examples: ['strix events tail --level error', 'strix events tail -n 0 --count 1 --name checkout_failed --format json'],
    run: tailEvents,
  },
];
