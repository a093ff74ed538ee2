import type { Warehouse } from '@strix/contracts';
import { queryFunnel, type FunnelGroupRow, type FunnelSpec } from '@strix/warehouse';
import { compareVariants, type ExperimentReport } from './experiments.ts';
import type { FunnelBreakdown, FunnelDefinition } from './funnel-definition.ts';

export * from './funnel-definition.ts';
export * from './funnel-store.ts';

/** Which events a funnel reads: `fromMs <= ts < toMs`, a data mode (is_dev, or both when undefined) and optionally one app. */
export interface FunnelScope {
  projectId: string;
  fromMs: number;
  toMs: number;
  isDev?: boolean;
  appId?: string;
}

export interface FunnelStepResult {
  event: string;
  /** People (or sessions) that reached this step. */
  count: number;
  /** Of those that entered step 1. */
  conversion_rate: number;
  /** Of those that reached the previous step (1 for step 1 when anyone entered). */
  step_conversion_rate: number;
  /** Reached the previous step but not this one (0 for step 1). */
  drop_off: number;
  drop_off_rate: number;
  /** Median over those that reached the step of their shortest time from step 1; null for step 1, in open mode and when nobody reached it. */
  median_seconds_to_convert: number | null;
}

export interface FunnelGroup {
  /** The breakdown value; null without a breakdown. */
  value: string | null;
  steps: FunnelStepResult[];
  totals: { entered: number; converted: number; conversion_rate: number; median_seconds_to_convert: number | null };
}

export interface FunnelReport {
  groups: FunnelGroup[];
  /** With an experiment breakdown: each variant's conversion from step 1 to the last step against the control. */
  experiment?: ExperimentReport;
}

function specOf(scope: FunnelScope, definition: FunnelDefinition, breakdown?: FunnelSpec['breakdown']): FunnelSpec {
  return {
    ...scope,
    steps: definition.steps,
    mode: definition.mode,
    windowMs: definition.window_seconds * 1000,
    strictOrder: definition.strict_order,
    exclusions: definition.exclusions.map((x) => ({ ...x, from_step: x.from_step ?? 1, to_step: x.to_step ?? definition.steps.length })),
    by: definition.by,
    breakdown,
  };
}

const nobody = (definition: FunnelDefinition): FunnelGroupRow => ({ value: '', counts: definition.steps.map(() => 0), medianMs: definition.steps.map(() => null) });

const ratio = (part: number, whole: number) => (whole === 0 ? 0 : part / whole);
const seconds = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : ms / 1000);

function groupOf(definition: FunnelDefinition, row: FunnelGroupRow, value: string | null): FunnelGroup {
  const entered = row.counts[0] ?? 0;
  const steps = definition.steps.map((step, i): FunnelStepResult => {
    const count = row.counts[i] ?? 0;
    const previous = i === 0 ? entered : (row.counts[i - 1] ?? 0);
    return {
      event: step.event,
      count,
      conversion_rate: ratio(count, entered),
      step_conversion_rate: ratio(count, previous),
      drop_off: previous - count,
      drop_off_rate: ratio(previous - count, previous),
      median_seconds_to_convert: seconds(row.medianMs[i]),
    };
  });
  const last = steps[steps.length - 1]!;
  return {
    value,
    steps,
    totals: { entered, converted: last.count, conversion_rate: last.conversion_rate, median_seconds_to_convert: last.median_seconds_to_convert },
  };
}

/**
 * Runs a funnel. The semantics, which the DuckDB differential test
 * (funnels-differential.test.ts) re-derives independently:
 *
 * - Only events with `from <= ts < to`, of the data mode, of the app when one
 *   is given, and with the unit's key are considered: a person (user id, or
 *   the session for anonymous events) for `by: user`, a non-empty session id
 *   for `by: session`. An event matches a step when its name is the step's
 *   event and every `where` condition holds; it may match several steps.
 * - Closed mode: a unit reaches level k if there are events e1..ek, e_i
 *   matching step i, with strictly increasing timestamps and t_k − t_1 ≤ the
 *   window. Its time to convert to step k is the least t_k − t_1 over such
 *   chains; a step's median is over the units that reached it.
 *   - strict_order: also, no other event of the unit (any name) has a
 *     timestamp strictly between two consecutive steps of the chain.
 *   - exclusions (from_step default 1, to_step default the last step): a
 *     chain reaching level m is void if a matching exclusion event has
 *     t_from < ts ≤ t_min(m, to); so it only constrains chains with m > from.
 * - Open mode: a unit's level is the highest step it matched with any event
 *   in range (order and window ignored), which counts for every earlier step.
 * - A step's count is the number of units with level ≥ its number.
 * - A breakdown value comes from the unit's earliest considered event that
 *   matches step 1 (in open mode, when none does, the earliest matching any
 *   step): its experiments[name] ('' when absent), its app_version or
 *   environment, or, for a user property, the current value for that event's
 *   user ('' when none or anonymous). Of events at the same millisecond, the
 *   one with the smallest value counts (for a user property, the smallest
 *   user id).
 */
export async function runFunnel(wh: Warehouse, scope: FunnelScope, definition: FunnelDefinition, breakdown?: FunnelBreakdown): Promise<FunnelReport> {
  const rows = await queryFunnel(wh, specOf(scope, definition, breakdown));
  if (!breakdown) return { groups: [groupOf(definition, rows[0] ?? nobody(definition), null)] };
  const groups = rows.map((row) => groupOf(definition, row, row.value));
  if (!('experiment' in breakdown)) return { groups };
  const experiment = compareVariants(groups.map((g) => ({ variant: g.value ?? '', users: g.totals.entered, conversions: g.totals.converted })));
  return { groups, experiment };
}

export const TrendIntervals = ['day', 'week'] as const;
export type TrendInterval = (typeof TrendIntervals)[number];

/** The units that entered the funnel in one period, and how far they got. */
export interface FunnelTrendPoint {
  /** The period's first day (UTC), YYYY-MM-DD; a week starts on Monday. */
  period: string;
  entered: number;
  converted: number;
  conversion_rate: number;
  /** Units of this period reaching each step. */
  counts: number[];
}

const dayMs = 86_400_000;

/** The periods the range touches, as the warehouse names them: UTC days, or the Mondays of UTC weeks. */
export function periodsOf(fromMs: number, toMs: number, interval: TrendInterval): string[] {
  let start = Math.floor(fromMs / dayMs) * dayMs;
  if (interval === 'week') start -= ((new Date(start).getUTCDay() + 6) % 7) * dayMs;
  const step = interval === 'week' ? 7 * dayMs : dayMs;
  const periods: string[] = [];
  for (let ms = start; ms < toMs; ms += step) periods.push(new Date(ms).toISOString().slice(0, 10));
  return periods;
}

/**
 * A funnel's conversion over time: each unit counts in the period it entered
 * (its earliest event matching step 1, as a breakdown reads it) with how far
 * it got over the whole range, so the periods add up to `runFunnel`'s
 * totals. Every period of the range is listed, empty ones with zeros; units
 * of the last periods may still be converting.
 */
export async function runFunnelTrend(wh: Warehouse, scope: FunnelScope, definition: FunnelDefinition, interval: TrendInterval): Promise<FunnelTrendPoint[]> {
  const rows = await queryFunnel(wh, specOf(scope, definition, { period: interval }));
  const byPeriod = new Map(rows.map((r) => [r.value, r]));
  return periodsOf(scope.fromMs, scope.toMs, interval).map((period) => {
    const counts = (byPeriod.get(period) ?? nobody(definition)).counts;
    const entered = counts[0] ?? 0;
    const converted = counts[counts.length - 1] ?? 0;
    return { period, entered, converted, conversion_rate: ratio(converted, entered), counts };
  });
}
