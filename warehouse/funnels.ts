import { z } from 'zod';
import type { QueryParams, Warehouse } from '@strix/contracts';
import { queryRows } from './query-rows.ts';

/** Event properties that are columns of `funnel_events`; any other name is an attribute. */
export const FunnelPropertyColumns = ['screen_name', 'app_version', 'environment', 'country', 'os_version', 'device_model'] as const;
export const WhereOps = ['eq', 'neq', 'contains', 'gt', 'lt', 'exists'] as const;
export type WhereOp = (typeof WhereOps)[number];

export interface PropertyFilter {
  property: string;
  op: WhereOp;
  value?: string | number;
}

export interface FunnelStepSpec {
  event: string;
  where?: readonly PropertyFilter[];
}

/** 1-based steps: the exclusion voids a chain between reaching `from_step` and reaching `to_step`. */
export interface FunnelExclusionSpec extends FunnelStepSpec {
  from_step: number;
  to_step: number;
}

export type FunnelBreakdown = { experiment: string } | { property: 'app_version' | 'environment' } | { user_property: string };
/** A breakdown, or `period`: the UTC day, or the Monday of the UTC week, a unit entered the funnel (the trend of its conversion). */
export type FunnelSplit = FunnelBreakdown | { period: 'day' | 'week' };

/** A funnel over `funnel_events`; the semantics are documented on `runFunnel` (@strix/analytics). */
export interface FunnelSpec {
  projectId: string;
  steps: readonly FunnelStepSpec[];
  mode: 'open' | 'closed';
  windowMs: number;
  strictOrder: boolean;
  exclusions: readonly FunnelExclusionSpec[];
  by: 'user' | 'session';
  breakdown?: FunnelSplit;
  fromMs: number;
  toMs: number;
  /** Undefined counts both production and development events. */
  isDev?: boolean;
  appId?: string;
}

/** One breakdown value: people reaching each step, and each step's median milliseconds from step 1 (closed mode). */
export interface FunnelGroupRow {
  value: string;
  counts: number[];
  medianMs: (number | null)[];
}

/**
 * Each event is packed into one non-negative Int64 so a person's events sort
 * with one numeric sort and chain arithmetic needs no unpacking: milliseconds
 * since `from` (35 bits: ranges up to a year), then a bit per exclusion (8),
 * then a bit per step NOT matched (20), so that events at the same time sort
 * later steps first.
 */
export const FunnelBits = { steps: 20, exclusions: 8, timeShift: 28, maxRangeMs: 2 ** 35 } as const;

/** Ranges this long or longer read the table itself and aggregate people in its order (see funnelSql). */
const inOrderRangeMs = 21 * 86_400_000;

/** "No live chain" and "never reached", outside every packed value. */
const NONE = 'toInt64(-1)';
const NEVER = 'toInt64(9223372036854775807)';

class Params {
  readonly values: QueryParams = {};
  private n = 0;
  bind(value: string | number, type: 'String' | 'Float64'): string {
    const name = `p${this.n++}`;
    this.values[name] = value;
    return `{${name}:${type}}`;
  }
}

/** An absent attribute reads as ''; gt and lt compare numbers, and text that is not one never matches. */
function filterExpr(f: PropertyFilter, p: Params): string {
  const column = (FunnelPropertyColumns as readonly string[]).includes(f.property) ? f.property : undefined;
  if (f.op === 'exists') return column ? `${column} != ''` : `mapContains(attributes, ${p.bind(f.property, 'String')})`;
  const prop = column ?? `attributes[${p.bind(f.property, 'String')}]`;
  const text = () => p.bind(String(f.value ?? ''), 'String');
  const number = () => p.bind(Number(f.value), 'Float64');
  switch (f.op) {
    case 'eq':
      return `${prop} = ${text()}`;
    case 'neq':
      return `${prop} != ${text()}`;
    case 'contains':
      return `position(${prop}, ${text()}) > 0`;
    case 'gt':
      return `toFloat64OrNull(${prop}) > ${number()}`;
    case 'lt':
      return `toFloat64OrNull(${prop}) < ${number()}`;
  }
}

function matchExpr(step: FunnelStepSpec, p: Params): string {
  return [`name = ${p.bind(step.event, 'String')}`, ...(step.where ?? []).map((f) => `(${filterExpr(f, p)})`)].join(' AND ');
}

const breakdownColumns = { app_version: 'app_version', environment: 'environment' } as const;

function breakdownExpr(b: FunnelSplit, p: Params): string {
  if ('experiment' in b) return `experiments[${p.bind(b.experiment, 'String')}]`;
  if ('property' in b) return `toString(${breakdownColumns[b.property]})`;
  if ('period' in b) return b.period === 'day' ? `toString(toDate(ts, 'UTC'))` : `toString(toMonday(ts, 'UTC'))`;
  return 'user_id';
}

/**
 * Closed mode, level by level over each person's sorted packed events (X),
 * with array functions that run over all people of a block at once: arrayFold
 * loops over every row of its block once per array position, so one person
 * with 100k events would cost seconds.
 *
 * L<k>: per event, the (packed) step-1 time of the latest-starting live chain
 * at level k once that event's timestamp is processed, or NONE. Live values
 * only grow (a chain at level k starts from the latest live level k-1 entry),
 * so the best chain is the one from the last extension since the last kill,
 * which arrayFill carries forward. A step reads level k-1 as it stood after
 * the previous timestamp (P<k>) and kills at a timestamp act on all of its
 * events first, so equal timestamps never chain. When every event matches one
 * step at most (distinct step events, no exclusions, any order), the previous
 * event's value is that: at one timestamp later steps come first, so no event
 * before it at that timestamp moved level k-1.
 * D<k>: the least packed distance from step 1 to step k; its high bits are
 * the milliseconds to convert.
 */
function closedColumns(spec: FunnelSpec, limit: string): string[] {
  const n = spec.steps.length;
  const { timeShift, steps: stepBits } = FunnelBits;
  const matches = (k: number) => `NOT bitTest(x, ${k - 1})`;
  const oneStepPerEvent = !spec.strictOrder && spec.exclusions.length === 0 && new Set(spec.steps.map((s) => s.event)).size === n;
  const cols = ['arraySort(events) AS X'];
  if (!oneStepPerEvent) {
    cols.push(`arrayMap((x, prev) -> bitShiftRight(x, ${timeShift}) != bitShiftRight(prev, ${timeShift}), X, arrayShiftRight(X, 1, ${NONE})) AS starts`);
  }
  // Whether any event at the same timestamp matched the exclusion: the cumulative count at its last event minus before its first.
  spec.exclusions.forEach((_, j) => {
    cols.push(
      `arrayCumSum(arrayMap(x -> toUInt32(bitTest(x, ${stepBits + j})), X)) AS X${j}_n`,
      `arrayMap((last, before) -> last > before, arrayReverseFill((c, end) -> end, X${j}_n, arrayShiftLeft(starts, 1, 1)), arrayFill((c, first) -> first, arrayShiftRight(X${j}_n, 1, 0), starts)) AS X${j}`,
    );
  });
  /** Exclusions kill the chains sitting at levels from..to-1: they cannot go on past it. */
  const killedAt = (level: number) => {
    const xs = spec.exclusions.flatMap((x, j) => (x.from_step <= level && level < x.to_step ? [`X${j}`] : []));
    if (xs.length <= 1) return xs[0];
    const args = xs.map((_, i) => `k${i}`);
    return `arrayMap((${args.join(', ')}) -> ${args.join(' OR ')}, ${xs.join(', ')})`;
  };
  const extendsTo = (k: number) => `${matches(k)} AND p != ${NONE} AND x - p < ${limit}`;
  for (let k = 1; k <= n; k++) {
    const killed = killedAt(k);
    const values = k === 1 ? `arrayMap(x -> if(${matches(1)}, bitShiftLeft(bitShiftRight(x, ${timeShift}), ${timeShift}), ${NONE}), X)` : `arrayMap((x, p) -> if(${extendsTo(k)}, p, ${NONE}), X, P${k})`;
    if (k > 1) {
      const shifted = `arrayShiftRight(L${k - 1}, 1, ${NONE})`;
      const prior = oneStepPerEvent ? shifted : `arrayFill((v, s) -> s, ${shifted}, starts)`;
      const killedBefore = killedAt(k - 1);
      cols.push(`${killedBefore ? `arrayMap((p, killed) -> if(killed, ${NONE}, p), ${prior}, ${killedBefore})` : prior} AS P${k}`);
    }
    if (k < n) {
      // arrayFill keeps its first element, which is NONE unless that event extends: what each case needs.
      if (spec.strictOrder) cols.push(`arrayFill((v, s) -> v != ${NONE} OR s, ${values}, starts) AS L${k}`);
      else if (killed) cols.push(`arrayFill((v, s, killed) -> v != ${NONE} OR (s AND killed), ${values}, starts, ${killed}) AS L${k}`);
      else if (k === 1) cols.push(`arrayFill(v -> v != ${NONE}, ${values}) AS L1`);
      else cols.push(`arrayFill((p, x) -> ${extendsTo(k)}, P${k}, X) AS L${k}`);
    }
    cols.push(k === 1 ? `if(arrayExists(x -> ${matches(1)}, X), 0, ${NEVER}) AS D1` : `arrayMin((x, p) -> if(${extendsTo(k)}, x - p, ${NEVER}), X, P${k}) AS D${k}`);
  }
  return cols;
}

/** The SQL and parameters of a funnel: one row per breakdown value. */
export function funnelSql(spec: FunnelSpec): { sql: string; params: QueryParams } {
  if (spec.toMs - spec.fromMs > FunnelBits.maxRangeMs || spec.steps.length > FunnelBits.steps || spec.exclusions.length > FunnelBits.exclusions) {
    throw new RangeError('a funnel holds at most 20 steps, 8 exclusions and a range of 2^35 ms (the packed event layout)');
  }
  const p = new Params();
  const n = spec.steps.length;
  const { timeShift, steps: stepBits } = FunnelBits;
  const params = p.values;
  Object.assign(params, { project: spec.projectId, from: spec.fromMs, to: spec.toMs, window: spec.windowMs });
  const closed = spec.mode === 'closed';
  const exclusions = closed ? spec.exclusions : [];
  const where = ['project_id = {project:String}', `ts >= fromUnixTimestamp64Milli({from:Int64}, 'UTC')`, `ts < fromUnixTimestamp64Milli({to:Int64}, 'UTC')`];
  if (spec.isDev !== undefined) {
    where.push('is_dev = {is_dev:Bool}');
    params.is_dev = spec.isDev;
  }
  if (spec.appId !== undefined) {
    where.push('app_id = {app:String}');
    params.app = spec.appId;
  }
  if (spec.by === 'session') where.push(`session_id != ''`);
  // Strict order needs every event of a person (any other event breaks a chain); otherwise only the named ones.
  if (!(closed && spec.strictOrder)) {
    where.push('name IN {names:Array(String)}');
    params.names = [...new Set([...spec.steps, ...exclusions].map((s) => s.event))];
  }
  const steps = `toInt64(${spec.steps.map((s, i) => `if(${matchExpr(s, p)}, ${2 ** i}, 0)`).join(' + ')})`;
  const unit = spec.by === 'session' ? 'session_id' : 'person_id';
  const perPerson = [unit];
  if (spec.breakdown) {
    // From the earliest event matching step 1 (open mode: else any step); events at the same millisecond give the smallest value.
    // The least of "fixed-width hex key + value" strings: what argMin over a (key, value) tuple gives, at a third less cost.
    const key = `leftPad(hex(bitShiftLeft(toUInt64(NOT bitTest(${steps}, 0)), 62) + toUInt64(toUnixTimestamp64Milli(ts))), 16, '0')`;
    perPerson.push(`substring(minIf(concat(${key}, ${breakdownExpr(spec.breakdown, p)}), ${steps} != 0), 17) AS value`);
  } else {
    perPerson.push(`'' AS value`);
  }
  if (closed) {
    const exclusionBits = exclusions.map((x, j) => ` + if(${matchExpr(x, p)}, ${2 ** (stepBits + j)}, 0)`).join('');
    perPerson.push(`groupArray(bitShiftLeft(toUnixTimestamp64Milli(ts) - {from:Int64}, ${timeShift}) + ${2 ** stepBits - 1} - ${steps}${exclusionBits}) AS events`);
  } else {
    perPerson.push(`groupBitOr(${steps}) AS reached`);
  }
  let people = `SELECT ${perPerson.join(', ')} FROM funnel_events WHERE ${where.join(' AND ')} GROUP BY ${unit}`;
  if (spec.breakdown && 'user_property' in spec.breakdown) {
    // The breakdown so far is the user id; a user without the property (or an anonymous person) reads ''.
    params.property = spec.breakdown.user_property;
    people = `SELECT ${closed ? 'events' : 'reached'}, properties.value AS value FROM (${people}) AS people
      LEFT JOIN (SELECT user_id, value FROM user_property_values WHERE project_id = {project:String} AND key = {property:String}) AS properties
      ON properties.user_id = people.value`;
  }
  // x - p < limit ⟺ (time of x) - (time of p) ≤ window, x's own bits being below 2^timeShift.
  const perLevel = closed ? closedColumns({ ...spec, exclusions }, `(({window:Int64} + 1) * ${2 ** timeShift})`) : ['reached'];
  const reachedAt = (k: number) => (closed ? `D${k} != ${NEVER}` : `reached >= ${2 ** (k - 1)}`);
  const totals = Array.from({ length: n }, (_, i) => `countIf(${reachedAt(i + 1)}) AS c${i + 1}`);
  if (closed) for (let k = 2; k <= n; k++) totals.push(`quantileExactInclusiveIf(0.5)(bitShiftRight(D${k}, ${timeShift}), ${reachedAt(k)}) AS m${k}`);
  // Over whole months the per-person GROUP BY streams in the table's order, which measured fastest on the data of
  // bench/funnel-query.ts; hashing the by_day projection's rows, which come day by day, measured slower there.
  // Under three weeks the engine may read that projection, which skips the days outside the range.
  const inOrder = spec.toMs - spec.fromMs >= inOrderRangeMs;
  const sql = `SELECT value, ${totals.join(', ')}
FROM (SELECT value, ${perLevel.join(',\n  ')} FROM (${people}))
WHERE ${reachedAt(1)}
GROUP BY value ORDER BY c1 DESC, value
SETTINGS ${inOrder ? 'optimize_aggregation_in_order = 1, optimize_use_projections = 0' : 'optimize_aggregation_in_order = 0'}`;
  return { sql, params };
}

/**
 * One row of `funnelSql`: the breakdown value, people reaching step i as `c<i>`
 * and, in closed mode, the median time to step k as `m<k>` (null when nobody
 * reached it, read as 0 and never served: its count is 0).
 */
const FunnelResultRow = z.object({ value: z.coerce.string() }).catchall(z.coerce.number());

/** People reaching each step per breakdown value (most people first); none when nobody entered the funnel. */
export async function queryFunnel(wh: Warehouse, spec: FunnelSpec): Promise<FunnelGroupRow[]> {
  const { sql, params } = funnelSql(spec);
  const rows = await queryRows(wh, 'funnel', FunnelResultRow, sql, params);
  const n = spec.steps.length;
  return rows.map((r) => {
    const counts = Array.from({ length: n }, (_, i) => r[`c${i + 1}`] ?? 0);
    const medianMs = counts.map((c, i) => (i === 0 || spec.mode === 'open' || c === 0 ? null : (r[`m${i + 1}`] ?? 0)));
    return { value: r.value, counts, medianMs };
  });
}
