/**
 * `strix events tail`: polls the events listing from a little before the newest
 * event seen, and prints those not printed yet. Rows stream, so the table has
 * fixed columns and JSON is one object per line.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { terminalWidth, type Context } from '../command.ts';
import { ServerUnavailable, UsageError } from '../failures.ts';
import { cellText, csv, fieldsOf, type Format, type Row } from '../output.ts';
import { integer, scopeQuery, text } from '../read-scope.ts';
import { EventsPage, eventFilters, type EventRow } from './event-query.ts';

/**
 * How far back each poll reads before the newest event seen: events are
 * stamped on the device and reach the server later (an SDK flushes every 30 s
 * and retries), so a poll from the newest time alone would miss them.
 */
const lookbackMs = 120_000;
/** Event ids remembered to drop repeats; the lookback window holds far fewer in practice. */
const rememberedIds = 20_000;

const widths: [string, number][] = [
  ['timestamp', 24],
  ['level', 5],
  ['name', 24],
  ['user_id', 14],
  ['message', 0],
];

/** Prints rows one batch at a time, in the chosen format. */
class EventPrinter {
  private csvFields: string[] | undefined;
  private headed = false;

  constructor(
    private readonly ctx: Context,
    private readonly format: Format,
  ) {}

  print(events: readonly Row[]): void {
    const out = this.ctx.io.stdout;
    switch (this.format) {
      case 'json':
        for (const e of events) out.write(`${JSON.stringify(e)}\n`);
        return;
      case 'csv': {
        if (events.length === 0) return;
        const header = this.csvFields === undefined;
        this.csvFields ??= fieldsOf(events);
        const text = csv(events, this.csvFields);
        out.write(header ? text : text.slice(text.indexOf('\r\n') + 2));
        return;
      }
      case 'table': {
        const line = (cells: string[]) => {
          const full = cells.map((c, i) => ((widths[i]?.[1] ?? 0) > 0 ? c.padEnd(widths[i]?.[1] ?? 0) : c)).join('  ').trimEnd();
          const room = terminalWidth(out);
          return `${room !== undefined && [...full].length > room ? `${[...full].slice(0, room - 1).join('')}…` : full}\n`;
        };
        if (!this.headed) out.write(line(widths.map(([key]) => key)));
        this.headed = true;
        for (const e of events) out.write(line(widths.map(([key, width]) => fit(cellText(e[key]), width))));
        return;
      }
      default: {
        const unreachable: never = this.format;
        throw new Error(`unknown format ${String(unreachable)}`);
      }
    }
  }
}

const fit = (text: string, width: number) => (width > 0 && [...text].length > width ? `${[...text].slice(0, width - 1).join('')}…` : text);

function seconds(ctx: Context): number {
  const value = text(ctx.options, 'interval');
  if (value === undefined) return 2;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0.1 || n > 3600) throw new UsageError(`--interval ${JSON.stringify(value)}: must be a number of seconds from 0.1 to 3600`, 'events tail');
  return n;
}

/** Adds ids to the remembered ones, forgetting the oldest past the bound (a Set iterates in insertion order). */
function remember(seen: Set<string>, events: readonly EventRow[]): void {
  for (const e of events) seen.add(e.event_id);
  for (const id of seen) {
    if (seen.size <= rememberedIds) break;
    seen.delete(id);
  }
}

const byTime = (a: EventRow, b: EventRow) => a.timestamp.localeCompare(b.timestamp) || a.event_id.localeCompare(b.event_id);

export async function tailEvents(ctx: Context): Promise<void> {
  const client = await ctx.client();
  const lines = integer(ctx.options, 'lines', 0, 1000) ?? 10;
  const count = integer(ctx.options, 'count', 1, 1_000_000);
  const intervalMs = seconds(ctx) * 1000;
  const { data_mode, app_id } = scopeQuery(ctx.options);
  const filters = { data_mode, app_id, ...eventFilters(ctx) };
  const printer = new EventPrinter(ctx, ctx.format);
  const seen = new Set<string>();
  let printed = 0;
  const since = () => new Date(Date.now() - lookbackMs).toISOString();

  /** Prints the events not printed yet (`all`: even those), oldest first; true once --count is reached. */
  const show = (events: readonly EventRow[], all = false): boolean => {
    const fresh = events.filter((e) => all || !seen.has(e.event_id)).sort(byTime);
    const shown = count === undefined ? fresh : fresh.slice(0, count - printed);
    remember(seen, fresh);
    printer.print(shown);
    printed += shown.length;
    return count !== undefined && printed >= count;
  };

  // What is already stored is not new; the first reads fail the command as any listing would.
  remember(seen, EventsPage.parse(await client.get('/v1/events', { ...filters, from: since(), limit: 1000 })).events);
  const recent = lines === 0 ? [] : EventsPage.parse(await client.get('/v1/events', { ...filters, limit: lines })).events;
  if (show(recent, true)) return;
  let warned = false;
  for (;;) {
    await sleep(intervalMs);
    try {
      const page = EventsPage.parse(await client.get('/v1/events', { ...filters, from: since(), limit: 1000 }));
      warned = false;
      if (show(page.events)) return;
    } catch (error) {
      if (!(error instanceof ServerUnavailable)) throw error;
      if (!warned) ctx.io.stderr.write(`strix: ${error.message}; still trying\n`);
      warned = true;
    }
  }
}
