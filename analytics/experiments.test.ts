import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareVariants, normalCdf, normalQuantile, wilsonInterval, type ExperimentReport, type VariantCounts } from './experiments.ts';

// Expected values were computed independently with Python's mpmath at 30 digits:
//   Φ(x) = mpmath.ncdf(x), Φ⁻¹(p) = sqrt(2)·erfinv(2p − 1),
//   z = (p_v − p_c) / sqrt(p̄(1 − p̄)(1/n_v + 1/n_c)), p = erfc(|z| / sqrt(2)),
//   difference interval = (p_v − p_c) ± Φ⁻¹((1 + c)/2)·sqrt(p_v(1 − p_v)/n_v + p_c(1 − p_c)/n_c),
//   Wilson bounds = (p + z²/2n ± z·sqrt(p(1 − p)/n + z²/4n²)) / (1 + z²/n).
// z² equals R's prop.test(correct = FALSE) X-squared, i.e. Pearson's chi-square of the 2×2 table.

function near(actual: number | undefined, expected: number, tolerance: number, what: string): void {
  assert.ok(actual !== undefined && Math.abs(actual - expected) <= tolerance, `${what}: ${actual} is not within ${tolerance} of ${expected}`);
}

const counts = (variant: string, users: number, conversions: number): VariantCounts => ({ variant, users, conversions });

function variant(report: ExperimentReport, name: string) {
  const found = report.variants.find((v) => v.variant === name);
  assert.ok(found, `variant ${name} is in the report`);
  return found;
}

function assertAllFinite(value: unknown, path = 'report'): void {
  if (typeof value === 'number') assert.ok(Number.isFinite(value), `${path} is ${value}`);
  else if (Array.isArray(value)) value.forEach((v, i) => assertAllFinite(v, `${path}[${i}]`));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) assertAllFinite(v, `${path}.${k}`);
}

test('the normal CDF matches reference values, tails included', () => {
  const reference: [number, number][] = [
    [-8, 6.2209605742717841e-16], [-5, 2.8665157187919391e-7], [-3, 0.0013498980316300945],
    [-1.96, 0.024997895148220434], [-1, 0.15865525393145705], [-0.5, 0.3085375387259869], [0, 0.5],
    [0.3, 0.61791142218895264], [1.5, 0.93319279873114193], [2.5, 0.99379033467422386],
    [4, 0.99996832875816688], [6, 0.99999999901341235],
  ];
  for (const [x, p] of reference) {
    near(normalCdf(x), p, 1e-14, `Φ(${x})`);
    if (x < 0) near(normalCdf(x) / p, 1, 1e-8, `relative Φ(${x})`);
  }
  assert.equal(normalCdf(-Infinity), 0);
  assert.equal(normalCdf(Infinity), 1);
});

test('the normal quantile matches reference values and inverts the CDF', () => {
  const reference: [number, number][] = [
    [1e-10, -6.3613409024040562], [1e-5, -4.2648907939228246], [0.001, -3.0902323061678135],
    [0.02425, -1.9729610513118849], [0.1, -1.2815515655446005], [0.5, 0], [0.8, 0.84162123357291421],
    [0.975, 1.9599639845400542], [0.9995, 3.2905267314918948], [0.99999, 4.2648907939228246],
  ];
  for (const [p, x] of reference) near(normalQuantile(p), x, 1e-9, `Φ⁻¹(${p})`);
  for (const p of [0.001, 0.2, 0.5, 0.7, 0.999]) near(normalCdf(normalQuantile(p)), p, 1e-13, `Φ(Φ⁻¹(${p}))`);
  assert.equal(normalQuantile(0), -Infinity);
  assert.equal(normalQuantile(1), Infinity);
});

test('200/1000 against 250/1000 gives the textbook two-proportion z-test', () => {
  const report = compareVariants([counts('control', 1000, 200), counts('b', 1000, 250)]);
  const b = variant(report, 'b');
  const vs = b.vs_control;
  assert.ok(vs);
  near(vs.z, 2.67739776301, 1e-9, 'z');
  // Pearson's chi-square by hand: expected 225 and 775 per arm, 2·(25²/225 + 25²/775) = 7.16845878136.
  near(vs.z ** 2, 7.16845878136, 1e-9, 'z² (prop.test X-squared)');
  near(vs.p_value, 0.00741964926103, 1e-11, 'p');
  near(vs.difference, 0.05, 1e-12, 'difference');
  near(vs.difference_ci[0], 0.0134636216875, 1e-10, 'difference lower');
  near(vs.difference_ci[1], 0.0865363783125, 1e-10, 'difference upper');
  assert.equal(vs.significant, true);
  near(b.rate, 0.25, 0, 'rate');
  near(b.rate_ci[0], 0.224153098984, 1e-10, 'b Wilson lower');
  near(b.rate_ci[1], 0.277760280259, 1e-10, 'b Wilson upper');
  const control = variant(report, 'control');
  near(control.rate_ci[0], 0.176377090443, 1e-10, 'control Wilson lower');
  near(control.rate_ci[1], 0.225918964648, 1e-10, 'control Wilson upper');
  assert.equal(control.vs_control, undefined);

  const swapped = variant(compareVariants([counts('control', 1000, 250), counts('b', 1000, 200)]), 'b').vs_control;
  near(swapped?.z, -2.67739776301, 1e-9, 'z with the arms swapped');
  near(swapped?.p_value, 0.00741964926103, 1e-11, 'p with the arms swapped');
});

test('a lower rate gives a negative difference and z', () => {
  const vs = variant(compareVariants([counts('control', 10000, 1000), counts('b', 10000, 880)]), 'b').vs_control;
  near(vs?.z, -2.9076238503, 1e-9, 'z');
  near(vs?.p_value, 0.00364186102056, 1e-11, 'p');
  near(vs?.difference_ci[0], -0.0200872208637, 1e-10, 'difference lower');
  near(vs?.difference_ci[1], -0.00391277913634, 1e-10, 'difference upper');
});

test('Wilson intervals stay inside [0, 1] at 0% and 100%, and span everything with no users', () => {
  const z = normalQuantile(0.975);
  const none = wilsonInterval(0, 10, z);
  assert.equal(none[0], 0);
  near(none[1], 0.277532799863, 1e-10, '0/10 upper');
  const all = wilsonInterval(10, 10, z);
  near(all[0], 0.722467200137, 1e-10, '10/10 lower');
  assert.equal(all[1], 1);
  assert.deepEqual(wilsonInterval(0, 0, z), [0, 1]);
  const ninety = wilsonInterval(3, 7, normalQuantile(0.95));
  near(ninety[0], 0.186443190364, 1e-10, '3/7 at 90% lower');
  near(ninety[1], 0.710522908986, 1e-10, '3/7 at 90% upper');
});

test('the confidence level sets the intervals and the significance threshold', () => {
  const data = [counts('control', 1000, 100), counts('b', 1000, 140)];
  const strict = compareVariants(data, { confidence: 0.999 });
  near(variant(strict, 'control').rate_ci[0], 0.072941360544, 1e-10, 'Wilson lower at 99.9%');
  near(variant(strict, 'control').rate_ci[1], 0.13562790807, 1e-10, 'Wilson upper at 99.9%');
  const vs = variant(strict, 'b').vs_control;
  near(vs?.p_value, 0.00591585107424, 1e-11, 'p');
  near(vs?.difference_ci[0], -0.0077296545379, 1e-10, 'difference lower at 99.9%');
  assert.equal(vs?.significant, false);
  assert.equal(strict.verdict, 'No significant difference between b and control at 99.9% confidence (p = 0.0059).');

  const usual = variant(compareVariants(data, { confidence: 0.99 }), 'b').vs_control;
  near(usual?.difference_ci[0], 0.002637154219, 1e-10, 'difference lower at 99%');
  assert.equal(usual?.significant, true);
});

test('a confidence outside (0, 1) is a RangeError', () => {
  for (const confidence of [0, 1, -0.5, 95, Number.NaN]) {
    assert.throws(() => compareVariants([counts('control', 100, 10)], { confidence }), RangeError, `confidence ${confidence}`);
  }
});

test('impossible counts are a RangeError', () => {
  assert.throws(() => compareVariants([counts('a', 10, 11)]), /conversions must be an integer from 0 to users \(10\), got 11/);
  assert.throws(() => compareVariants([counts('a', -1, 0)]), RangeError);
  assert.throws(() => compareVariants([counts('a', 10.5, 1)]), RangeError);
  assert.throws(() => compareVariants([counts('a', 10, 1), counts('a', 20, 2)]), /listed more than once/);
});

test('the sample is too small below 30 users or 5 conversions or 5 non-conversions, in the variant or the control', () => {
  const flags = (control: VariantCounts, b: VariantCounts) => {
    const report = compareVariants([control, b]);
    return [variant(report, control.variant).sample_too_small, variant(report, 'b').sample_too_small];
  };
  assert.deepEqual(flags(counts('control', 30, 5), counts('b', 30, 25)), [false, false]);
  assert.deepEqual(flags(counts('control', 100, 50), counts('b', 29, 10)), [false, true]);
  assert.deepEqual(flags(counts('control', 100, 50), counts('b', 100, 4)), [false, true]);
  assert.deepEqual(flags(counts('control', 100, 50), counts('b', 100, 96)), [false, true]);
  assert.deepEqual(flags(counts('control', 100, 4), counts('b', 100, 50)), [true, true]);
});

test('control is the named option, else the variant called control, else the first listed', () => {
  const data = [counts('a', 100, 10), counts('b', 100, 12), counts('control', 100, 11)];
  const byName = compareVariants(data);
  assert.equal(byName.control, 'control');
  assert.deepEqual(byName.variants.map((v) => v.variant), ['control', 'a', 'b']);
  assert.equal(compareVariants(data.filter((v) => v.variant !== 'control')).control, 'a');
  const chosen = compareVariants(data, { control: 'b' });
  assert.equal(chosen.control, 'b');
  assert.equal(variant(chosen, 'b').vs_control, undefined);
  assert.ok(variant(chosen, 'control').vs_control);
  assert.throws(() => compareVariants(data, { control: 'c' }), /control "c" is not one of the variants \("a", "b", "control"\)/);
});

test('users outside the experiment are left out unless they are all there is or are asked for as control', () => {
  const outside = counts('', 5000, 100);
  const report = compareVariants([outside, counts('a', 100, 10), counts('b', 100, 12)]);
  assert.equal(report.control, 'a');
  assert.deepEqual(report.variants.map((v) => v.variant), ['a', 'b']);

  const alone = compareVariants([outside]);
  assert.deepEqual(alone.variants.map((v) => v.variant), ['']);
  assert.equal(alone.verdict, 'No users were assigned a variant, so there is nothing to compare.');

  const holdout = compareVariants([outside, counts('a', 1000, 100)], { control: '' });
  assert.equal(holdout.control, '');
  assert.ok(variant(holdout, 'a').vs_control);
});

test('the verdict names the better variant with its rates, difference and p-value', () => {
  assert.equal(
    compareVariants([counts('control', 1000, 200), counts('b', 1000, 250)]).verdict,
    'b converts better than control (25.0% vs 20.0%, +5.0 points, p = 0.0074).',
  );
  assert.equal(
    compareVariants([counts('control', 10000, 1000), counts('b', 10000, 880)]).verdict,
    'b converts worse than control (8.8% vs 10.0%, -1.2 points, p = 0.0036).',
  );
  assert.equal(
    compareVariants([counts('control', 10000, 1000), counts('Big', 10000, 1200)]).verdict,
    'Big converts better than control (12.0% vs 10.0%, +2.0 points, p < 0.001).',
  );
});

test('the verdict says plainly when there is no difference, too little data or nothing to compare', () => {
  assert.equal(
    compareVariants([counts('control', 1000, 100), counts('b', 1000, 108)]).verdict,
    'No significant difference between b and control (p = 0.56).',
  );
  assert.equal(
    compareVariants([counts('control', 1000, 100), counts('b', 1000, 80), counts('c', 1000, 140)]).verdict,
    'No significant difference between b and control (p = 0.12); c converts better than control (14.0% vs 10.0%, +4.0 points, p = 0.0059).',
  );
  assert.equal(
    compareVariants([counts('control', 1000, 100), counts('b', 40, 3)]).verdict,
    'Sample too small to compare: variant b has 3 conversions; at least 30 users, 5 conversions and 5 non-conversions per variant are needed.',
  );
  assert.equal(compareVariants([counts('control', 1000, 100)]).verdict, 'Only control has been seen, so there is nothing to compare it with.');
  assert.equal(compareVariants([]).verdict, 'No users have entered the experiment yet.');
});

test('0 users, 0% and 100% rates give finite numbers throughout', () => {
  const cases: VariantCounts[][] = [
    [counts('control', 0, 0), counts('b', 0, 0)],
    [counts('control', 100, 0), counts('b', 100, 0)],
    [counts('control', 100, 100), counts('b', 100, 100)],
    [counts('control', 100, 0), counts('b', 100, 100)],
    [counts('control', 0, 0), counts('b', 100, 50)],
  ];
  for (const data of cases) {
    const report = compareVariants(data);
    assertAllFinite(report);
    assert.ok(report.variants.every((v) => v.sample_too_small), JSON.stringify(data));
  }
  const empty = compareVariants([counts('control', 0, 0), counts('b', 0, 0)]);
  assert.equal(variant(empty, 'b').vs_control, undefined);
  assert.deepEqual(variant(empty, 'b').rate_ci, [0, 1]);
  assert.equal(empty.verdict, 'Sample too small to compare: variant control has 0 users, variant b has 0 users; at least 30 users, 5 conversions and 5 non-conversions per variant are needed.');
  const flat = variant(compareVariants([counts('control', 100, 100), counts('b', 100, 100)]), 'b').vs_control;
  assert.deepEqual(flat, { difference: 0, difference_ci: [0, 0], z: 0, p_value: 1, significant: false });
});
