import type { OutputFormat } from '@strix/contracts';
import { exportEvents, queryEventNames, queryEvents, queryHourlyCounts, type EventCursor, type EventFilter, type EventName, type HourlyCount, type StoredEvent } from '@strix/warehouse';
import type { AnalyticsDeps } from './deps.ts';

export type { EventCursor, EventFilter, EventName, HourlyCount, StoredEvent };

/** The events explorer: raw events, newest first and keyset-paged, and hourly counts per app, name and level. */
export class EventExplorer {
  constructor(private readonly deps: AnalyticsDeps) {}

  /** A page of events; `after` is the last event of the previous page. */
  list(filter: EventFilter, limit: number, after?: EventCursor): Promise<StoredEvent[]> {
    return queryEvents(this.deps.warehouse, filter, limit, after);
  }

  /** The filtered events, oldest first, at most `limit`, streamed in an export format. */
  export(filter: EventFilter, limit: number, format: OutputFormat): AsyncIterable<Uint8Array> {
    return exportEvents(this.deps.warehouse, filter, limit, format);
  }

  /** Counts from the hourly rollup; `fromMs` is rounded down to its hour. */
  hourlyCounts(filter: EventFilter): Promise<HourlyCount[]> {
    return queryHourlyCounts(this.deps.warehouse, filter);
  }

  /** The most frequent names, those containing `search` when given: a name picker's choices. */
  names(filter: EventFilter, search: string | undefined, limit: number): Promise<EventName[]> {
    return queryEventNames(this.deps.warehouse, filter, search, limit);
  }
}
