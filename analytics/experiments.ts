/**
 * Significance of an A/B experiment from a funnel broken down by variant:
 * each variant's users (entered the first step) and conversions (reached the
 * last). Rates carry Wilson score intervals, which stay inside [0, 1] and
 * behave at 0% and 100%; each variant is compared with the control by a
 * two-sided two-proportion z-test. The normal distribution is computed here,
 * without a dependency.
 */

export interface VariantCounts { variant: string; users: number; conversions: number }

export interface VariantComparison {
  variant: string;
  users: number;
  conversions: number;
  rate: number;
  rate_ci: [number, number];
  /** Absent for the control, and for a variant when it or the control has no users. */
  vs_control?: { difference: number; difference_ci: [number, number]; z: number; p_value: number; significant: boolean };
  sample_too_small: boolean;
}

export interface ExperimentReport { control: string; confidence: number; variants: VariantComparison[]; verdict: string }

/** Users with an empty variant were not in the experiment: never a default control, never compared. */
export const NOT_IN_EXPERIMENT = '';

/**
 * The normal approximation behind both the z-test and the interval is
 * trusted only with at least this many conversions and non-conversions
 * (the usual np ≥ 5 and n(1 − p) ≥ 5 rule) and users, in the variant and
 * in the control alike.
 */
export const MIN_OUTCOMES = 5;
export const MIN_USERS = 30;

const DEFAULT_CONFIDENCE = 0.95;

/**
 * Standard normal CDF by Hart's double-precision algorithm 5666 (as given by
 * G. West, "Better approximations to cumulative normal functions", 2005):
 * absolute error below 1e-15, relative error below 1e-8 in the tails. It
 * computes the tail directly, so small p-values keep their precision
 * instead of cancelling in 1 − Φ.
 */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const t = Math.abs(x);
  let tail: number;
  if (t < 7.07106781186547) {
    const num = (((((0.0352624965998911 * t + 0.700383064443688) * t + 6.37396220353165) * t + 33.912866078383) * t
      + 112.079291497871) * t + 221.213596169931) * t + 220.206867912376;
    const den = ((((((0.0883883476483184 * t + 1.75566716318264) * t + 16.064177579207) * t + 86.7807322029461) * t
      + 296.564248779674) * t + 637.333633378831) * t + 793.826512519948) * t + 440.413735824752;
    tail = (Math.exp((-t * t) / 2) * num) / den;
  } else {
    const fraction = t + 1 / (t + 2 / (t + 3 / (t + 4 / (t + 0.65))));
    tail = Math.exp((-t * t) / 2) / fraction / 2.506628274631;
  }
  return x > 0 ? 1 - tail : tail;
}

const ACKLAM_A = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
const ACKLAM_B = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
const ACKLAM_C = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
const ACKLAM_D = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
const ACKLAM_LOW = 0.02425;

const polynomial = (coefficients: readonly number[], x: number): number =>
  coefficients.reduce((sum, c) => sum * x + c, 0);

/**
 * Standard normal quantile: P. J. Acklam's rational approximation (relative
 * error 1.15e-9), then one Halley step against `normalCdf`, which brings it
 * to about the CDF's own precision.
 */
export function normalQuantile(p: number): number {
  if (!(p >= 0 && p <= 1)) return NaN;
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  let x: number;
  if (p < ACKLAM_LOW || p > 1 - ACKLAM_LOW) {
    const q = Math.sqrt(-2 * Math.log(Math.min(p, 1 - p)));
    x = polynomial(ACKLAM_C, q) / (polynomial(ACKLAM_D, q) * q + 1);
    if (p > 0.5) x = -x;
  } else {
    const q = p - 0.5;
    const r = q * q;
    x = (polynomial(ACKLAM_A, r) * q) / (polynomial(ACKLAM_B, r) * r + 1);
  }
  // Compare in the smaller tail so the error is not lost against 1.
  const error = p > 0.5 ? (1 - p) - normalCdf(-x) : normalCdf(x) - p;
  // error / φ(x), in logs so that exp(x²/2) cannot overflow far in the tails.
  const u = error === 0 ? 0 : Math.sign(error) * Math.exp(Math.log(Math.abs(error)) + (x * x) / 2 + Math.log(2 * Math.PI) / 2);
  return x - u / (1 + (x * u) / 2);
}

/** Wilson score interval; with no users every rate is possible. */
export function wilsonInterval(conversions: number, users: number, z: number): [number, number] {
  if (users === 0) return [0, 1];
  const p = conversions / users;
  const z2n = (z * z) / users;
  const center = (p + z2n / 2) / (1 + z2n);
  const half = (z / (1 + z2n)) * Math.sqrt((p * (1 - p)) / users + z2n / (4 * users));
  // The bounds are exactly 0 and 1 at the extremes; rounding must not move them.
  return [
    conversions === 0 ? 0 : Math.max(0, center - half),
    conversions === users ? 1 : Math.min(1, center + half),
  ];
}

type Comparison = NonNullable<VariantComparison['vs_control']>;

/** Variant minus control: pooled standard error for z, unpooled for the difference's interval. */
function twoProportionTest(variant: VariantCounts, control: VariantCounts, z: number, alpha: number): Comparison {
  const pv = variant.conversions / variant.users;
  const pc = control.conversions / control.users;
  const difference = pv - pc;
  const pooled = (variant.conversions + control.conversions) / (variant.users + control.users);
  const pooledSe = Math.sqrt(pooled * (1 - pooled) * (1 / variant.users + 1 / control.users));
  // Both rates 0% or both 100%: no variation at all, so no evidence of a difference.
  const statistic = pooledSe === 0 ? 0 : difference / pooledSe;
  const pValue = Math.min(1, 2 * normalCdf(-Math.abs(statistic)));
  const se = Math.sqrt((pv * (1 - pv)) / variant.users + (pc * (1 - pc)) / control.users);
  return {
    difference,
    difference_ci: [Math.max(-1, difference - z * se), Math.min(1, difference + z * se)],
    z: statistic,
    p_value: pValue,
    significant: pValue < alpha,
  };
}

/** Why a variant's counts are too few for the normal approximation, or undefined when they suffice. */
function shortfall(counts: VariantCounts): string | undefined {
  const failures = counts.users - counts.conversions;
  if (counts.users < MIN_USERS) return `${counts.users} ${counts.users === 1 ? 'user' : 'users'}`;
  if (counts.conversions < MIN_OUTCOMES) return `${counts.conversions} ${counts.conversions === 1 ? 'conversion' : 'conversions'}`;
  if (failures < MIN_OUTCOMES) return `${failures} ${failures === 1 ? 'non-conversion' : 'non-conversions'}`;
  return undefined;
}

function validate(variants: readonly VariantCounts[], confidence: number): void {
  if (!(confidence > 0 && confidence < 1)) {
    throw new RangeError(`confidence must be between 0 and 1, exclusive (e.g. 0.95), got ${confidence}`);
  }
  const seen = new Set<string>();
  for (const { variant, users, conversions } of variants) {
    if (seen.has(variant)) throw new RangeError(`variant ${JSON.stringify(variant)} is listed more than once`);
    seen.add(variant);
    if (!Number.isSafeInteger(users) || users < 0) {
      throw new RangeError(`variant ${JSON.stringify(variant)}: users must be a non-negative integer, got ${users}`);
    }
    if (!Number.isSafeInteger(conversions) || conversions < 0 || conversions > users) {
      throw new RangeError(`variant ${JSON.stringify(variant)}: conversions must be an integer from 0 to users (${users}), got ${conversions}`);
    }
  }
}

/**
 * The control is `options.control` when given, else the variant named
 * `control`, else the first listed. The empty variant (users outside the
 * experiment) is left out of the report unless it is the only one or is
 * named as the control: they were not randomised, so comparing with them
 * would measure who they are, not what the variants do.
 */
function pickControl(variants: readonly VariantCounts[], requested: string | undefined): { control?: VariantCounts; arms: VariantCounts[] } {
  const arms = variants.filter((v) => v.variant !== NOT_IN_EXPERIMENT || requested === NOT_IN_EXPERIMENT);
  const candidates = arms.length > 0 ? arms : [...variants];
  if (requested !== undefined) {
    const control = candidates.find((v) => v.variant === requested);
    if (!control) {
      const names = candidates.map((v) => JSON.stringify(v.variant)).join(', ') || 'none';
      throw new RangeError(`control ${JSON.stringify(requested)} is not one of the variants (${names})`);
    }
    return { control, arms: candidates };
  }
  return { control: candidates.find((v) => v.variant === 'control') ?? candidates[0], arms: candidates };
}

const percent = (fraction: number): string => {
  const points = fraction * 100;
  return Math.abs(points) >= 0.1 || points === 0 ? points.toFixed(1) : points.toPrecision(2);
};

const formatP = (p: number): string => (p < 0.001 ? 'p < 0.001' : `p = ${Number(p.toPrecision(2))}`);

function comparisonClause(variant: VariantComparison, control: VariantComparison, confidence: number, opensSentence: boolean): string {
  const test = variant.vs_control as Comparison;
  if (!test.significant) {
    // A p-value below 0.05 must not read as significant when a stricter level was asked for.
    const level = confidence === DEFAULT_CONFIDENCE ? '' : ` at ${Number((confidence * 100).toPrecision(6))}% confidence`;
    return `${opensSentence ? 'No' : 'no'} significant difference between ${variant.variant} and ${control.variant}${level} (${formatP(test.p_value)})`;
  }
  const direction = test.difference > 0 ? 'better' : 'worse';
  const sign = test.difference > 0 ? '+' : '-';
  return `${variant.variant} converts ${direction} than ${control.variant} `
    + `(${percent(variant.rate)}% vs ${percent(control.rate)}%, ${sign}${percent(Math.abs(test.difference))} points, ${formatP(test.p_value)})`;
}

function verdict(report: VariantComparison[], control: VariantComparison | undefined, confidence: number): string {
  if (!control) return 'No users have entered the experiment yet.';
  const others = report.filter((v) => v !== control);
  if (others.length === 0) {
    return control.variant === NOT_IN_EXPERIMENT
      ? 'No users were assigned a variant, so there is nothing to compare.'
      : `Only ${control.variant} has been seen, so there is nothing to compare it with.`;
  }
  const short = report.flatMap((v) => {
    const reason = shortfall(v);
    return reason ? [`variant ${v.variant} has ${reason}`] : [];
  });
  if (short.length > 0) {
    return `Sample too small to compare: ${short.join(', ')}; at least ${MIN_USERS} users, `
      + `${MIN_OUTCOMES} conversions and ${MIN_OUTCOMES} non-conversions per variant are needed.`;
  }
  // Variant names keep their case, so only a clause opening with prose is capitalised.
  return `${others.map((v, i) => comparisonClause(v, control, confidence, i === 0)).join('; ')}.`;
}

/**
 * Compares every variant with the control, listed first, then the others in
 * the order given (`control` is '' when there is no variant at all).
 * `significant` is the test's own outcome (p < 1 − confidence); it means
 * something only when `sample_too_small` is false, and the verdict names no
 * winner while any variant is too small. Each variant is tested at the full
 * confidence, with no correction for comparing several against one control.
 */
export function compareVariants(variants: VariantCounts[], options: { control?: string; confidence?: number } = {}): ExperimentReport {
  const confidence = options.confidence ?? DEFAULT_CONFIDENCE;
  validate(variants, confidence);
  const { control, arms } = pickControl(variants, options.control);
  const z = normalQuantile((1 + confidence) / 2);
  const alpha = 1 - confidence;
  const ordered = control ? [control, ...arms.filter((v) => v !== control)] : [];
  const controlTooSmall = control !== undefined && shortfall(control) !== undefined;
  const report = ordered.map((counts): VariantComparison => ({
    variant: counts.variant,
    users: counts.users,
    conversions: counts.conversions,
    rate: counts.users === 0 ? 0 : counts.conversions / counts.users,
    rate_ci: wilsonInterval(counts.conversions, counts.users, z),
    ...(control && counts !== control && counts.users > 0 && control.users > 0
      ? { vs_control: twoProportionTest(counts, control, z, alpha) }
      : {}),
    sample_too_small: controlTooSmall || shortfall(counts) !== undefined,
  }));
  return { control: control?.variant ?? '', confidence, variants: report, verdict: verdict(report, report[0], confidence) };
}
