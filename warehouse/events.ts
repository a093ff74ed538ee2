import { z } from 'zod';
import { Levels, type OutputFormat, type QueryParams, type Warehouse } from '@strix/contracts';
import { queryRows } from './query-rows.ts';

/** One row of `events` as the processors insert it (JSONEachRow; times in epoch ms). */
export const EventRow = z.object({
  project_id: z.string(),
  app_id: z.string(),
  is_dev: z.boolean(),
  event_id: z.string(),
  ts: z.number().int(),
  received_at: z.number().int(),
  name: z.string(),
  level: z.enum(Levels),
  message: z.string(),
  session_id: z.string(),
  user_id: z.string(),
  source_module: z.string(),
  screen_name: z.string(),
  environment: z.string(),
  os_version: z.string(),
  app_version: z.string(),
  build_number: z.string(),
  device_model: z.string(),
  locale: z.string(),
  country: z.string(),
  fingerprint: z.string(),
  attributes: z.record(z.string(), z.string()),
  experiments: z.record(z.string(), z.string()),
  retention_days: z.number().int(),
  log_topic: z.string(),
  log_partition: z.number().int(),
  log_offset: z.number().int(),
  // Issue grouping (sql/006; see grouping/grouping.ts). The processors always
  // fill them; they are optional so rows written without them still insert, taking the
  // columns' default ''.
  grouping_config: z.string().optional(),
  fingerprint_previous: z.string().optional(),
  exception_type: z.string().optional(),
  culprit: z.string().optional(),
  /** The exception's frames as validated, as compact JSON; '' when the event had none. */
  stack_frames: z.string().optional(),
  // Analytics signals (sql/010). Optional for the same reason: a row without them is a log event.
  kind: z.enum(['log', 'track', 'metric']).optional(),
  metric_phase: z.enum(['', 'record', 'start', 'complete', 'fail', 'cancel', 'abandoned']).optional(),
  tracking_id: z.string().optional(),
  metric_value: z.number().nullable().optional(),
  metric_unit: z.string().optional(),
  duration_ms: z.number().nullable().optional(),
  trace_id: z.string().optional(),
  span_id: z.string().optional(),
  user_set: z.record(z.string(), z.string()).optional(),
  user_set_once: z.record(z.string(), z.string()).optional(),
});
export type EventRow = z.infer<typeof EventRow>;

export interface EventFilter {
  projectId: string;
  fromMs: number;
  toMs: number;
  /** Production (false), development (true), or both (undefined: data_mode=all). */
  isDev?: boolean;
  appId?: string;
  level?: string;
  name?: string;
  userId?: string;
  sessionId?: string;
}

export interface EventCursor {
  ts: number;
  eventId: string;
}

/** Builds the WHERE clause shared by event queries; every value is a bound parameter. */
function whereClause(f: EventFilter, timeColumn: string): { sql: string; params: QueryParams } {
  const clauses = [
    'project_id = {project:String}',
    `${timeColumn} >= fromUnixTimestamp64Milli({from:Int64}, 'UTC')`,
    `${timeColumn} < fromUnixTimestamp64Milli({to:Int64}, 'UTC')`,
  ];
  const params: QueryParams = { project: f.projectId, from: f.fromMs, to: f.toMs };
  if (f.isDev !== undefined) {
    clauses.push('is_dev = {is_dev:Bool}');
    params.is_dev = f.isDev;
  }
  const optional: [keyof EventFilter, string, string][] = [
    ['appId', 'app_id', 'app'],
    ['level', 'level', 'level'],
    ['name', 'name', 'name'],
    ['userId', 'user_id', 'user'],
    ['sessionId', 'session_id', 'session'],
  ];
  for (const [field, column, param] of optional) {
    const value = f[field];
    if (value === undefined) continue;
    clauses.push(`${column} = {${param}:String}`);
    params[param] = String(value);
  }
  return { sql: clauses.join(' AND '), params };
}

const eventColumns = `event_id, toUnixTimestamp64Milli(ts) AS ts_ms, toUnixTimestamp64Milli(received_at) AS received_ms,
  app_id, is_dev, name, level, message, session_id, user_id, source_module, screen_name, environment,
  os_version, app_version, build_number, device_model, locale, country, fingerprint, attributes, experiments, kind`;

// Times leave the engine as epoch ms under their own names: an alias named like
// the column would shadow it in WHERE.
export const StoredEvent = EventRow.omit({ project_id: true, retention_days: true, ts: true, received_at: true, log_topic: true, log_partition: true, log_offset: true })
  .extend({ ts_ms: z.coerce.number(), received_ms: z.coerce.number() })
  .transform(({ ts_ms, received_ms, ...rest }) => ({ ...rest, ts: ts_ms, received_at: received_ms }));
export type StoredEvent = z.infer<typeof StoredEvent>;

/** Newest first, keyset-paginated on (ts, event_id) so pages never skip or repeat rows. */
export async function queryEvents(
  wh: Warehouse,
  filter: EventFilter,
  limit: number,
  after?: EventCursor,
): Promise<StoredEvent[]> {
  const { sql, params } = whereClause(filter, 'ts');
  let where = sql;
  if (after) {
    where += ` AND (ts, event_id) < (fromUnixTimestamp64Milli({cursor_ts:Int64}, 'UTC'), {cursor_id:String})`;
    params.cursor_ts = after.ts;
    params.cursor_id = after.eventId;
  }
  params.limit = limit;
  const rows = await wh.query(
    `SELECT ${eventColumns} FROM events WHERE ${where} ORDER BY ts DESC, event_id DESC LIMIT {limit:UInt32}`,
    params,
  );
  return rows.map((r) => StoredEvent.parse(r));
}

/**
 * What an export carries of each event: its columns with their engine types
 * (times as DateTime64, properties and experiments as maps), the level as
 * and kind as text (an Enum would leave Arrow and Parquet as a bare integer).
 */
const exportColumns = `event_id, ts AS timestamp, received_at, app_id, is_dev, name, toString(level) AS level, message, session_id, user_id,
  source_module, screen_name, environment, os_version, app_version, build_number, device_model, locale, country, fingerprint, attributes, experiments,
  toString(kind) AS kind`;

/**
 * The filtered events, oldest first, at most `limit`, in an export format,
 * chunk by chunk as the engine writes them. Arrow record batches go
 * uncompressed: the engine's default (LZ4 frames) is a codec some readers
 * lack, Apache Arrow's JavaScript one among them.
 */
export function exportEvents(wh: Warehouse, filter: EventFilter, limit: number, format: OutputFormat): AsyncIterable<Uint8Array> {
  const { sql, params } = whereClause(filter, 'ts');
  return wh.stream(
    `SELECT ${exportColumns} FROM events WHERE ${sql} ORDER BY ts, event_id LIMIT {limit:UInt32} SETTINGS output_format_arrow_compression_method = 'none'`,
    { ...params, limit },
    format,
  );
}

export const HourlyCount = z
  .object({ hour_start: z.string(), app_id: z.string(), name: z.string(), level: z.enum(Levels), total: z.coerce.number() })
  .transform(({ hour_start, total, ...rest }) => ({ hour: hour_start, ...rest, events: total }));
export type HourlyCount = z.infer<typeof HourlyCount>;

/** Counts from the hourly materialized view; `from`/`to` are rounded to whole hours. */
export async function queryHourlyCounts(wh: Warehouse, filter: EventFilter): Promise<HourlyCount[]> {
  const hourStart = Math.floor(filter.fromMs / 3_600_000) * 3_600_000;
  const { sql, params } = whereClause({ ...filter, fromMs: hourStart }, 'hour');
  const rows = await wh.query(
    `SELECT formatDateTime(hour, '%Y-%m-%dT%H:00:00Z') AS hour_start, app_id, name, level, sum(events) AS total
     FROM event_counts_hourly WHERE ${sql}
     GROUP BY hour_start, app_id, name, level ORDER BY hour_start, app_id, name, level`,
    params,
  );
  return rows.map((r) => HourlyCount.parse(r));
}

const EventName = z.object({ name: z.string(), total: z.coerce.number() }).transform(({ name, total }) => ({ name, events: total }));
export type EventName = z.infer<typeof EventName>;

/**
 * The most frequent event names of the filter's hours (from the hourly rollup,
 * `fromMs` rounded down to its hour), those containing `search` when given
 * (any case), at most `limit`: what a name picker offers.
 */
export async function queryEventNames(wh: Warehouse, filter: EventFilter, search: string | undefined, limit: number): Promise<EventName[]> {
  const hourStart = Math.floor(filter.fromMs / 3_600_000) * 3_600_000;
  const { sql, params } = whereClause({ ...filter, fromMs: hourStart }, 'hour');
  const contains = search === undefined ? '' : ' AND positionCaseInsensitiveUTF8(name, {search:String}) > 0';
  const rows = await wh.query(
    `SELECT name, sum(events) AS total FROM event_counts_hourly WHERE ${sql}${contains}
     GROUP BY name ORDER BY total DESC, name LIMIT {limit:UInt32}`,
    { ...params, ...(search !== undefined && { search }), limit },
  );
  return rows.map((r) => EventName.parse(r));
}

export interface RecentEventKey {
  project_id: string;
  app_id: string;
  event_id: string;
  received_ms: number;
  log_partition: number;
  log_offset: number;
}

/**
 * Dedupe keys of events received since `sinceMs` that came from the given
 * partitions of a log topic: seeds a processor's deduper for the partitions it
 * was just assigned (after a start or a rebalance).
 */
export async function recentEventKeys(
  wh: Warehouse,
  from: { topic: string; partitions: readonly number[] },
  sinceMs: number,
  limit: number,
): Promise<RecentEventKey[]> {
  const rows = await wh.query<Record<keyof RecentEventKey, string | number>>(
    `SELECT project_id, app_id, event_id, toUnixTimestamp64Milli(received_at) AS received_ms, log_partition, log_offset FROM events
     WHERE received_at >= fromUnixTimestamp64Milli({since:Int64}, 'UTC')
       AND log_topic = {topic:String} AND log_partition IN {partitions:Array(UInt32)}
     ORDER BY received_at DESC LIMIT {limit:UInt64}`,
    { since: sinceMs, limit, topic: from.topic, partitions: from.partitions },
  );
  return rows.map((r) => ({
    project_id: String(r.project_id),
    app_id: String(r.app_id),
    event_id: String(r.event_id),
    received_ms: Number(r.received_ms),
    log_partition: Number(r.log_partition),
    log_offset: Number(r.log_offset),
  }));
}

const StoredEventId = z.object({ event_id: z.string() });

/**
 * Which of `eventIds` one app of a project already has stored, whatever their
 * time: `POST /v1/import` skips them, so re-importing a file adds nothing
 * however long after it was first loaded (the processors' dedupe remembers
 * 48 h). Keyed like that dedupe, by project, app and event id. Without a time
 * bound every part of the project is read, but only granules the event-id
 * bloom filter cannot rule out.
 */
export async function storedEventIds(wh: Warehouse, projectId: string, appId: string, eventIds: readonly string[]): Promise<Set<string>> {
  if (eventIds.length === 0) return new Set();
  const rows = await queryRows(
    wh,
    'stored event ids',
    StoredEventId,
    `SELECT DISTINCT event_id FROM events
     WHERE project_id = {project:String} AND app_id = {app:String} AND event_id IN {ids:Array(String)}`,
    { project: projectId, app: appId, ids: eventIds },
  );
  return new Set(rows.map((row) => row.event_id));
}
