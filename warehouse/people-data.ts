import { z } from 'zod';
import type { QueryParams, Warehouse } from '@strix/contracts';
import { queryRows } from './query-rows.ts';

/**
 * A person's rows in the warehouse: what the rights of access (export) and
 * erasure (delete) cover. A person is an end user of one project, named by the
 * `user_id` the SDKs send. Events a person sent before they were identified
 * (user_id '', a session id only) are not matched: only a shared session links them.
 */

/** How one table's rows about a person are found. `match` goes beside `project_id = {project:String}` and binds `{user:String}`. */
interface PersonTable {
  readonly table: string;
  /** The columns that hold the user id (or a value derived from it alone). */
  readonly userColumns: readonly string[];
  readonly match: string;
  /** What an export reads of each row: aggregate states are merged into values, so the file holds no binary state. */
  readonly read: string;
  readonly groupBy?: string;
}

/**
 * Every table that holds rows about an end user, `events` first: the others
 * are derived from it (materialized views, the issue scan), so once it is
 * clean nothing new is derived from the person's rows, but by a derivation
 * that read them before (an issue scan under way).
 * `people-data.test.ts` fails when a table with a user column is in neither
 * this list nor `approximatePersonTables`.
 */
export const personTables = [
  // Also the carrier of user properties (`user_set`, `user_set_once`). The key has no user; the idx_user bloom filter skips granules.
  { table: 'events', userColumns: ['user_id'], match: 'user_id = {user:String}', read: '*' },
  // person_key is the user id and person_id its hash: the key's prefix finds the rows.
  {
    table: 'funnel_events',
    userColumns: ['user_id', 'person_key', 'person_id'],
    match: 'person_id = reinterpretAsUInt128(sipHash128({user:String})) AND user_id = {user:String}',
    read: '*',
  },
  {
    table: 'user_properties',
    userColumns: ['user_id'],
    match: 'user_id = {user:String}',
    // Aliases differ from the columns they aggregate, so none shadows its column inside an aggregate.
    read: `project_id, user_id, key, argMaxMerge(set_value) AS latest_set, argMinMerge(set_once_value) AS first_set_once,
      max(last_set_at) AS set_at, min(first_seen_at) AS first_seen, max(updated_at) AS updated`,
    groupBy: 'project_id, user_id, key',
  },
  // Keyed by (fingerprint, session): no index on the user, so the project's occurrences are read whole.
  { table: 'issue_occurrences', userColumns: ['user_id'], match: 'user_id = {user:String}', read: '*' },
  // person_key is the user id, or `s:<session>` for anonymous events (which a user id spelled `s:<session>` would match).
  { table: 'audience_people', userColumns: ['person_key'], match: 'person_key = {user:String}', read: '*' },
] as const satisfies readonly PersonTable[];

export type PersonTableName = (typeof personTables)[number]['table'];

/**
 * Tables that count people inside uniq states: a state keeps hashes of the
 * person key (user id, or `s:<session>`) and cannot forget one, and no id can
 * be read back from it. A deleted person stays counted in these numbers until
 * the rows expire (or the project is purged); their id is gone from every
 * table of `personTables`.
 */
export const approximatePersonTables = {
  audience_daily: 'people and sessions per day are uniq states; kept with no TTL, so past DAU/WAU/MAU keep counting the person',
  audience_screens_daily: 'people per screen and day are a uniq state; kept with no TTL',
  audience_active_days: 'people_6_days and people_29_days are uniq states; the rows are computed again after 7 days (TTL), from audience_daily',
  metric_rollup_minutes: 'users per metric and minute are a uniq state; expires after 14 days',
  metric_rollup_hours: 'users per metric and hour are a uniq state; expires after 400 days',
} as const;

/** One stored row about a person, as the export yields it (times ISO 8601 UTC, 64- and 128-bit integers as strings). */
export interface PersonRow {
  table: PersonTableName;
  row: Record<string, unknown>;
}

// The same text whichever engine answers: ISO times, big integers quoted so JSON readers keep every digit.
const exportSettings = "SETTINGS date_time_output_format = 'iso', output_format_json_quote_64bit_integers = 1";

function personParams(projectId: string, userId: string): QueryParams {
  // '' is every anonymous row of the project, not a person.
  if (projectId === '' || userId === '') throw new RangeError('a person is named by a non-empty project id and user id');
  return { project: projectId, user: userId };
}

const personWhere = (spec: PersonTable) => `project_id = {project:String} AND ${spec.match}`;

function exportSql(spec: PersonTable): string {
  const groupBy = spec.groupBy === undefined ? '' : ` GROUP BY ${spec.groupBy}`;
  return `SELECT ${spec.read} FROM ${spec.table} WHERE ${personWhere(spec)}${groupBy} ${exportSettings}`;
}

const CountRow = z.object({ n: z.coerce.number() });

async function countIn(wh: Warehouse, spec: PersonTable, params: QueryParams): Promise<number> {
  const [counted] = await queryRows(wh, 'person rows', CountRow, `SELECT count() AS n FROM ${spec.table} WHERE ${personWhere(spec)}`, params);
  return counted?.n ?? 0;
}

/** Splits a JSONEachRow stream into its lines, chunk by chunk: strings in JSON escape their newlines, so a newline ends a row. */
async function* jsonLines(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<string[]> {
  const decoder = new TextDecoder();
  let partial = '';
  for await (const chunk of chunks) {
    const lines = (partial + decoder.decode(chunk, { stream: true })).split('\n');
    partial = lines.pop() ?? '';
    const rows = lines.filter((line) => line !== '');
    if (rows.length > 0) yield rows;
  }
  partial += decoder.decode();
  if (partial !== '') yield [partial];
}

/** Each person table's rows as JSON lines, a table at a time, streamed from the engine (no table is held whole). */
async function* personRowLines(wh: Warehouse, projectId: string, userId: string): AsyncGenerator<{ table: PersonTableName; lines: string[] }> {
  const params = personParams(projectId, userId);
  for (const spec of personTables) {
    for await (const lines of jsonLines(wh.stream(exportSql(spec), params, 'JSONEachRow'))) yield { table: spec.table, lines };
  }
}

/**
 * Every stored row about the person, table by table, in storage order
 * (sorting a heavy user's events would hold all of them in the engine).
 */
export async function* exportPersonRows(wh: Warehouse, projectId: string, userId: string): AsyncGenerator<PersonRow> {
  for await (const { table, lines } of personRowLines(wh, projectId, userId)) {
    for (const line of lines) yield { table, row: JSON.parse(line) as Record<string, unknown> };
  }
}

/**
 * The export as NDJSON for a download: one `{"table":…,"row":{…}}` line per
 * row. Each string yielded holds whole lines (those of one engine chunk); the
 * engine's row text is passed on as written, never parsed.
 */
export async function* personRowsAsNdjson(wh: Warehouse, projectId: string, userId: string): AsyncGenerator<string> {
  for await (const { table, lines } of personRowLines(wh, projectId, userId)) {
    const prefix = `{"table":${JSON.stringify(table)},"row":`;
    yield lines.map((line) => `${prefix}${line}}\n`).join('');
  }
}

/**
 * Deletes every row about the person from each table of `personTables` that
 * has any, with a lightweight DELETE (rows vanish from reads at once; merges
 * rewrite the parts later). Counting first keeps a re-run from issuing
 * mutations that match nothing, so a re-run after a partial failure deletes
 * only what is left and a complete one returns `{}`. Returns the rows deleted
 * per table (stored rows: duplicates not yet merged count each).
 *
 * Rows that reach the warehouse after a table was done are stored as usual:
 * events still in flight (the durable log, a processor's batch, an app's
 * offline queue) arrive with their derived rows, and an issue scan that read
 * the person's errors before the delete writes their occurrences after it.
 * The caller runs the delete again once that horizon has passed (a second
 * run deletes only the late rows). An app that keeps sending the user id is
 * new data; stopping it would take a list of erased people at the edge.
 * `approximatePersonTables` keep counting the person.
 */
export async function deletePersonData(wh: Warehouse, projectId: string, userId: string): Promise<Partial<Record<PersonTableName, number>>> {
  const params = personParams(projectId, userId);
  const deleted: Partial<Record<PersonTableName, number>> = {};
  for (const spec of personTables) {
    const rows = await countIn(wh, spec, params);
    if (rows === 0) continue;
    await wh.command(`DELETE FROM ${spec.table} WHERE ${personWhere(spec)}`, params);
    deleted[spec.table] = rows;
  }
  return deleted;
}

/** How many stored rows each person table holds about the person (what a delete would remove). */
export async function countPersonRows(wh: Warehouse, projectId: string, userId: string): Promise<Record<PersonTableName, number>> {
  const params = personParams(projectId, userId);
  const counts = {} as Record<PersonTableName, number>;
  for (const spec of personTables) counts[spec.table] = await countIn(wh, spec, params);
  return counts;
}
