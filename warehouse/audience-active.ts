/**
 * Active people per day over the audience rollups (sql/014): DAU, WAU, MAU,
 * new and returning people, sessions and events. A finished day's numbers are
 * kept in `audience_active_days` (sql/016) by the first read that computes
 * them, and used while the scope's event count up to that day is unchanged;
 * today is the last finished day's 6- and 29-day unions plus its own people.
 */
import { z } from 'zod';
import type { QueryParams, Warehouse } from '@strix/contracts';
import { queryRows } from './query-rows.ts';
import { addDays, count, daysOf, scopeFilter, utcDay, type AudienceScope, type DayRange } from './audience-scope.ts';

export const ActiveDay = z.object({
  day: z.string(),
  /** People active that day. */
  dau: count,
  /** People active in the 7 days ending that day. */
  wau: count,
  /** People active in the 30 days ending that day. */
  mau: count,
  /** People whose first event (in this scope) was that day. */
  new: count,
  /** People active that day who were first seen before it. */
  returning: count,
  sessions: count,
  events: count,
});
export type ActiveDay = z.infer<typeof ActiveDay>;

const DayEvents = z.object({ date: z.string(), events: count });
const StoredDay = z.object({
  date: z.string(),
  events_through_day: count,
  dau: count,
  wau: count,
  mau: count,
  new_people: count,
  sessions: count,
  events: count,
  with_unions: count,
});
type StoredDay = z.infer<typeof StoredDay>;
const RolledDay = z.object({ date: z.string(), dau: count, wau: count, mau: count, day_sessions: count, day_events: count });
const NewPeople = z.object({ date: z.string(), people: count });

/** Where a scope's days are kept: its data mode, and its app or every app. */
function storedScope(scope: AudienceScope): QueryParams {
  const mode = scope.isDev === undefined ? 'both' : scope.isDev ? 'development' : 'production';
  return { mode, all_apps: scope.appId === undefined, app_key: scope.appId ?? '' };
}
const storedKey = 'project_id = {project:String} AND data_mode = {mode:String} AND all_apps = {all_apps:Bool} AND app_id = {app_key:String}';

/**
 * Each target day's DAU, WAU, MAU, sessions and events. Each day's states
 * (over apps, data modes and parts) are merged once, then every target
 * gathers the 30 days ending on it: weeks and months are unions of people
 * sets, never sums of daily counts. With `unions`, the target `unions_on`
 * also gets its people of the 6 and 29 days ending on it, as states.
 */
function rolledSql(filter: string, unions: boolean): string {
  const unionStates = unions
    ? `, uniqMergeStateIf(people_of_day, target = {unions_on:Date} AND target - day < 6) AS people_6_days,
       uniqMergeStateIf(people_of_day, target = {unions_on:Date} AND target - day < 29) AS people_29_days`
    : '';
  return `SELECT target,
       uniqMergeIf(people_of_day, day = target) AS dau,
       uniqMergeIf(people_of_day, target - day < 7) AS wau,
       uniqMerge(people_of_day) AS mau,
       uniqMergeIf(sessions_of_day, day = target) AS day_sessions,
       sumIf(events_of_day, day = target) AS day_events${unionStates}
     FROM (
       SELECT day, uniqMergeState(people) AS people_of_day, uniqMergeState(sessions) AS sessions_of_day, sum(events) AS events_of_day
       FROM audience_daily
       WHERE ${filter} AND day >= {first:Date} - 29 AND day <= {last:Date}
       GROUP BY day
     )
     ARRAY JOIN arrayMap(k -> day + k, range(30)) AS target
     WHERE has({targets:Array(Date)}, target)
     GROUP BY target`;
}

/**
 * People first seen (in the scope) on each target day. Every person of the
 * scope is grouped (a row first seen earlier makes its person not new), but
 * rows first seen after the last target change no answer. A 64-bit hash of
 * the key groups a quarter faster than the string (1M people); two of a
 * million people share one with a probability near 3e-8. With `candidates`,
 * only people with a row first seen on a target are grouped: for a day or
 * two, that skips building a group for each of the scope's people.
 */
function newPeopleSql(filter: string, candidates: boolean): string {
  const onTargets = candidates
    ? `AND cityHash64(person_key) IN (
         SELECT cityHash64(person_key) FROM audience_people
         WHERE ${filter} AND first_seen >= toDateTime64({first:Date}, 3, 'UTC') AND first_seen < toDateTime64({last:Date} + 1, 3, 'UTC')
           AND has({targets:Array(Date)}, toDate(first_seen)))`
    : '';
  return `SELECT first AS target, count() AS people
     FROM (
       SELECT min(toDate(first_seen)) AS first FROM audience_people
       WHERE ${filter} AND first_seen < toDateTime64({last:Date} + 1, 3, 'UTC') ${onTargets}
       GROUP BY cityHash64(person_key)
     )
     WHERE has({targets:Array(Date)}, first)
     GROUP BY target`;
}

function targetParams(targets: string[]): QueryParams {
  return { targets, first: targets[0]!, last: targets[targets.length - 1]! };
}

/** New people of each target day (targets in order). */
async function newPeople(wh: Warehouse, scope: AudienceScope, targets: string[], candidates: boolean): Promise<Map<string, number>> {
  const { sql, params } = scopeFilter(scope);
  const rows = await queryRows(wh, 'audience new people', NewPeople, `SELECT toString(target) AS date, people FROM (${newPeopleSql(sql, candidates)})`, {
    ...params,
    ...targetParams(targets),
  });
  return new Map(rows.map((r) => [r.date, r.people]));
}

/**
 * Computes and keeps finished days (in order) under the event counts the read
 * started with: every number kept reflects at least those events, so an event
 * stored meanwhile only makes the next read compute the day again.
 * `unionsOn` (the last finished day) keeps its 6- and 29-day unions too.
 */
async function storeDays(wh: Warehouse, scope: AudienceScope, targets: string[], through: number[], fresh: number[], unionsOn: string): Promise<void> {
  const { sql, params } = scopeFilter(scope);
  await wh.command(
    `INSERT INTO audience_active_days (project_id, data_mode, all_apps, app_id, day, events_through_day,
       dau, wau, mau, new_people, sessions, events, with_unions, people_6_days, people_29_days)
     SELECT {project:String}, {mode:String}, {all_apps:Bool}, {app_key:String}, target, through,
       r.dau, r.wau, r.mau, fresh, r.day_sessions, r.day_events, target = {unions_on:Date}, r.people_6_days, r.people_29_days
     FROM (
       SELECT tupleElement(t, 1) AS target, tupleElement(t, 2) AS through, tupleElement(t, 3) AS fresh
       FROM (SELECT arrayJoin(arrayZip({targets:Array(Date)}, {through:Array(UInt64)}, {fresh:Array(UInt64)})) AS t)
     ) AS c
     LEFT JOIN (${rolledSql(sql, true)}) AS r USING target
     SETTINGS join_use_nulls = 0`,
    { ...params, ...storedScope(scope), ...targetParams(targets), through, fresh, unions_on: unionsOn },
  );
}

async function storedDays(wh: Warehouse, scope: AudienceScope, from: string, to: string): Promise<StoredDay[]> {
  return queryRows(
    wh,
    'audience stored days',
    StoredDay,
    `SELECT toString(day) AS date, events_through_day, dau, wau, mau, new_people, sessions, events, toUInt8(with_unions) AS with_unions
     FROM audience_active_days WHERE ${storedKey} AND day >= {from:Date} AND day <= {to:Date}`,
    { project: scope.projectId, ...storedScope(scope), from, to },
  );
}

/**
 * Days not kept (today and later): a target whose day before kept its unions
 * merges them with its own day's states; any other merges its 30 days.
 * `fresh`: new people already counted for every target.
 */
async function computeDays(
  wh: Warehouse,
  scope: AudienceScope,
  targets: string[],
  kept: Map<string, StoredDay>,
  through: Map<string, number>,
  fresh: Map<string, number> | undefined,
): Promise<Map<string, ActiveDay>> {
  if (targets.length === 0) return new Map();
  const { sql, params } = scopeFilter(scope);
  const chained = targets.filter((t) => kept.get(addDays(t, -1))?.with_unions);
  const alone = targets.filter((t) => !chained.includes(t));
  const bases = chained.map((t) => addDays(t, -1));
  // In the unions' branches the union stands in for sessions too (never counted: k != 0), so each reads one state column.
  const baseRow = 'with_unions AND has({bases:Array(Date)}, day) AND events_through_day = {base_events:Array(UInt64)}[indexOf({bases:Array(Date)}, day)]';
  const [fromUnions, fromDays, newByDay] = await Promise.all([
    chained.length === 0
      ? []
      : queryRows(
          wh,
          'audience active people',
          RolledDay,
          `SELECT toString(target) AS date,
             uniqMergeIf(people, k = 0) AS dau, uniqMergeIf(people, k IN (0, 1)) AS wau, uniqMergeIf(people, k IN (0, 2)) AS mau,
             uniqMergeIf(sessions, k = 0) AS day_sessions, sumIf(events, k = 0) AS day_events
           FROM (
             SELECT day AS target, 0 AS k, people, sessions, toUInt64(events) AS events FROM audience_daily
             WHERE ${sql} AND has({targets:Array(Date)}, day)
             UNION ALL
             SELECT day + 1, 1, people_6_days, people_6_days, toUInt64(0) FROM audience_active_days WHERE ${storedKey} AND ${baseRow}
             UNION ALL
             SELECT day + 1, 2, people_29_days, people_29_days, toUInt64(0) FROM audience_active_days WHERE ${storedKey} AND ${baseRow}
           )
           GROUP BY target`,
          { ...params, ...storedScope(scope), targets: chained, bases, base_events: bases.map((b) => through.get(b) ?? 0) },
        ),
    alone.length === 0
      ? []
      : queryRows(wh, 'audience active people', RolledDay, `SELECT toString(target) AS date, dau, wau, mau, day_sessions, day_events FROM (${rolledSql(sql, false)})`, {
          ...params,
          ...targetParams(alone),
        }),
    fresh ?? newPeople(wh, scope, targets, true),
  ]);
  const byDay = new Map([...fromUnions, ...fromDays].map((r) => [r.date, r]));
  return new Map(
    targets.map((day) => {
      const r = byDay.get(day);
      return [day, answer(day, { dau: r?.dau ?? 0, wau: r?.wau ?? 0, mau: r?.mau ?? 0, fresh: newByDay.get(day) ?? 0, sessions: r?.day_sessions ?? 0, events: r?.day_events ?? 0 })];
    }),
  );
}

function answer(day: string, n: { dau: number; wau: number; mau: number; fresh: number; sessions: number; events: number }): ActiveDay {
  // uniq is approximate beyond ~65k people; never let that show as a negative count.
  return { day, dau: n.dau, wau: n.wau, mau: n.mau, new: n.fresh, returning: Math.max(0, n.dau - n.fresh), sessions: n.sessions, events: n.events };
}

/**
 * One row per day of the range, days without activity included. `new` comes
 * from first-seen times; everyone else active that day is returning.
 */
export async function activePeople(wh: Warehouse, scope: AudienceScope, range: DayRange): Promise<ActiveDay[]> {
  const days = daysOf(range);
  const today = utcDay(Date.now());
  const dayBefore = addDays(range.from, -1);
  const { sql, params } = scopeFilter(scope);
  // A day kept is used only while the scope's events up to it are as counted when it was computed.
  const [perDay, stored] = await Promise.all([
    queryRows(wh, 'audience events per day', DayEvents, `SELECT toString(day) AS date, sum(events) AS events FROM audience_daily WHERE ${sql} AND day <= {to:Date} GROUP BY day`, {
      ...params,
      to: range.to,
    }),
    storedDays(wh, scope, dayBefore, range.to),
  ]);
  const eventsOn = new Map(perDay.map((r) => [r.date, r.events]));
  const through = new Map<string, number>();
  let total = perDay.filter((r) => r.date < dayBefore).reduce((sum, r) => sum + r.events, 0);
  for (const day of [dayBefore, ...days]) through.set(day, (total += eventsOn.get(day) ?? 0));
  const kept = new Map<string, StoredDay>();
  const keep = (rows: StoredDay[]) => {
    for (const r of rows) if (r.events_through_day === through.get(r.date) && !kept.get(r.date)?.with_unions) kept.set(r.date, r);
  };
  keep(stored);

  // Finished days not kept are computed and kept now; so is the day before a range that starts today (today takes its unions).
  const active = (day: string) => (through.get(day) ?? 0) > 0;
  const finished = (range.from === today ? [dayBefore, ...days] : days).filter((d) => d < today && active(d) && !kept.has(d));
  const open = days.filter((d) => d >= today && active(d));
  let fresh: Map<string, number> | undefined;
  if (finished.length > 0) {
    // One grouping of every person counts the new people of these days and of today's.
    fresh = await newPeople(wh, scope, [...finished, ...open], false);
    const counts = fresh;
    await storeDays(wh, scope, finished, finished.map((d) => through.get(d) ?? 0), finished.map((d) => counts.get(d) ?? 0), addDays(today, -1));
    keep(await storedDays(wh, scope, finished[0]!, finished[finished.length - 1]!));
  }
  const computed = await computeDays(wh, scope, days.filter((d) => active(d) && !kept.has(d)), kept, through, fresh);
  return days.map((day) => {
    const k = kept.get(day);
    if (k) return answer(day, { dau: k.dau, wau: k.wau, mau: k.mau, fresh: k.new_people, sessions: k.sessions, events: k.events });
    return computed.get(day) ?? answer(day, { dau: 0, wau: 0, mau: 0, fresh: 0, sessions: 0, events: 0 });
  });
}
