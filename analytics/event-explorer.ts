import { queryEvents, queryHourlyCounts, type EventCursor, type EventFilter, type HourlyCount, type StoredEvent } from '@strix/warehouse';
import type { AnalyticsDeps } from './deps.ts';

export type { EventCursor, EventFilter, HourlyCount, StoredEvent };

/** The events explorer: raw events, newest first and keyset-paged, and hourly counts per app, name and level. */
export class EventExplorer {
  constructor(private readonly deps: AnalyticsDeps) {}

  /** A page of events; `after` is the last event of the previous page. */
  list(filter: EventFilter, limit: number, after?: EventCursor): Promise<StoredEvent[]> {
    return queryEvents(this.deps.warehouse, filter, limit, after);
  }

  /** Counts from the hourly rollup; `fromMs` is rounded down to its hour. */
  hourlyCounts(filter: EventFilter): Promise<HourlyCount[]> {
    return queryHourlyCounts(this.deps.warehouse, filter);
  }
}
