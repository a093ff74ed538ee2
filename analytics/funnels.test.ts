import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { funnelSql, type EventRow } from '@strix/warehouse';
import type { ChdbWarehouse } from '@strix/warehouse/chdb';
import { eventRow } from '@strix/testkit/rows';
import { openStore } from '@strix/testkit/stores';
import { FunnelBreakdown, FunnelDefinition, periodsOf, runFunnel, runFunnelTrend, type FunnelReport, type FunnelScope } from './funnels.ts';

const day = 86_400_000;
/** Recent enough to be inside the events' retention. */
const t0 = Math.floor(Date.now() / day) * day - 20 * day;

/** A tracked event of `person` (user id, one session each unless given) at t0 + `sec` seconds. */
const track = (project: string, person: string, name: string, sec: number, fields: Partial<EventRow> = {}) =>
  eventRow({ project_id: project, kind: 'track', user_id: person, session_id: `${person}-s`, name, ts: t0 + sec * 1000, ...fields });

describe('funnels on hand-built event streams', () => {
  let wh: ChdbWarehouse;
  let close: () => Promise<void>;
  let project = 0;

  before(async () => {
    ({ wh, close } = await openStore('p'));
  });
  after(() => close());

  /** Inserts the events into a fresh project and runs the funnel over t0..t0+30 days. */
  async function run(events: (p: string) => EventRow[], definition: object, options: { breakdown?: object; scope?: Partial<FunnelScope> } = {}): Promise<FunnelReport> {
    const p = `f${++project}`;
    await wh.insert('events', events(p));
    const scope: FunnelScope = { projectId: p, fromMs: t0, toMs: t0 + 30 * day, isDev: false, ...options.scope };
    const breakdown = options.breakdown ? FunnelBreakdown.parse(options.breakdown) : undefined;
    return runFunnel(wh, scope, FunnelDefinition.parse(definition), breakdown);
  }
  const counts = (r: FunnelReport) => r.groups[0]!.steps.map((s) => s.count);
  const medians = (r: FunnelReport) => r.groups[0]!.steps.map((s) => s.median_seconds_to_convert);
  const abc = { steps: [{ event: 'a' }, { event: 'b' }, { event: 'c' }] };

  it('closed mode: order matters, and the report has rates, drop-offs and medians', async () => {
    const r = await run(
      (p) => [
        ...['u1', 'u2'].flatMap((u) => [track(p, u, 'a', 0), track(p, u, 'b', 10), track(p, u, 'c', 30)]),
        track(p, 'u3', 'b', 0), track(p, 'u3', 'a', 10), track(p, 'u3', 'c', 20),
        track(p, 'u4', 'c', 0),
      ],
      abc,
    );
    assert.deepEqual(counts(r), [3, 2, 2]);
    const [first, second] = r.groups[0]!.steps;
    assert.deepEqual(second, { event: 'b', count: 2, conversion_rate: 2 / 3, step_conversion_rate: 2 / 3, drop_off: 1, drop_off_rate: 1 / 3, median_seconds_to_convert: 10 });
    assert.deepEqual([first!.conversion_rate, first!.step_conversion_rate, first!.drop_off, first!.median_seconds_to_convert], [1, 1, 0, null]);
    assert.deepEqual(r.groups[0]!.totals, { entered: 3, converted: 2, conversion_rate: 2 / 3, median_seconds_to_convert: 30 });
  });

  it('the window is inclusive at its edge, measured from step 1', async () => {
    const r = await run(
      (p) => [
        track(p, 'edge', 'a', 0), track(p, 'edge', 'b', 30), track(p, 'edge', 'c', 60),
        track(p, 'late', 'a', 0), track(p, 'late', 'b', 30), track(p, 'late', 'c', 60.001),
      ],
      { ...abc, window_seconds: 60 },
    );
    assert.deepEqual(counts(r), [2, 2, 1]);
  });

  it('equal timestamps never chain; an event may match several steps', async () => {
    const r = await run(
      (p) => [
        track(p, 'same', 'a', 5), track(p, 'same', 'b', 5),
        // One event matches both steps: alone it is step 1 only; a second one later completes.
        track(p, 'one', 'view', 0, { attributes: { plan: 'pro' } }),
        track(p, 'two', 'view', 0, { attributes: { plan: 'pro' } }), track(p, 'two', 'view', 1, { attributes: { plan: 'pro' } }),
      ],
      { steps: [{ event: 'a' }, { event: 'b' }] },
    );
    assert.deepEqual(counts(r), [1, 0]);
    const views = await run(
      (p) => [
        track(p, 'one', 'view', 0, { attributes: { plan: 'pro' } }),
        track(p, 'two', 'view', 0, { attributes: { plan: 'pro' } }), track(p, 'two', 'view', 1, { attributes: { plan: 'pro' } }),
        track(p, 'free', 'view', 0, { attributes: { plan: 'free' } }), track(p, 'free', 'view', 1, { attributes: { plan: 'free' } }),
      ],
      { steps: [{ event: 'view' }, { event: 'view', where: [{ property: 'plan', op: 'eq', value: 'pro' }] }] },
    );
    assert.deepEqual(counts(views), [3, 1]);
  });

  it('time to convert is the shortest chain, and the median averages the middle two', async () => {
    const r = await run(
      (p) => [
        // Re-entering step 1 shortens the time: 5 s, not 10 s.
        track(p, 'u1', 'a', 0), track(p, 'u1', 'a', 5), track(p, 'u1', 'b', 10),
        track(p, 'u2', 'a', 0), track(p, 'u2', 'b', 20),
        track(p, 'u3', 'a', 0), track(p, 'u3', 'b', 40),
        track(p, 'u4', 'a', 0), track(p, 'u4', 'b', 100.5),
      ],
      { steps: [{ event: 'a' }, { event: 'b' }] },
    );
    assert.deepEqual(medians(r), [null, 30]);
  });

  it('a middle step keeps the latest chain that reached it: a later start counts only once it reaches that step too', async () => {
    const r = await run(
      (p) => [
        // The second start reaches b again, so c is 20 s from it.
        track(p, 'u1', 'a', 0), track(p, 'u1', 'b', 10), track(p, 'u1', 'a', 20), track(p, 'u1', 'b', 30), track(p, 'u1', 'c', 40),
        // The second start never reaches b: c is 40 s from the first.
        track(p, 'u2', 'a', 0), track(p, 'u2', 'b', 10), track(p, 'u2', 'a', 20), track(p, 'u2', 'c', 40),
      ],
      { ...abc, window_seconds: 100 },
    );
    assert.deepEqual(counts(r), [2, 2, 2]);
    assert.deepEqual(medians(r), [null, 10, 30]);
  });

  it('strict order: another event strictly between two steps breaks the chain', async () => {
    const events = (p: string) => [
      track(p, 'broken', 'a', 0), track(p, 'broken', 'noise', 1), track(p, 'broken', 'b', 2),
      // Noise at the same millisecond as a step is not between the steps.
      track(p, 'tie', 'a', 0), track(p, 'tie', 'b', 2), track(p, 'tie', 'noise', 2),
      // A later clean pair still converts.
      track(p, 'retry', 'a', 0), track(p, 'retry', 'noise', 1), track(p, 'retry', 'a', 3), track(p, 'retry', 'b', 4),
    ];
    const strict = await run(events, { steps: [{ event: 'a' }, { event: 'b' }], strict_order: true });
    assert.deepEqual(counts(strict), [3, 2]);
    assert.deepEqual(medians(strict), [null, 1.5]);
    const loose = await run(events, { steps: [{ event: 'a' }, { event: 'b' }] });
    assert.deepEqual(counts(loose), [3, 3]);
  });

  it('an exclusion voids a chain, but a later re-entry converts', async () => {
    const r = await run(
      (p) => [
        track(p, 'void', 'a', 0), track(p, 'void', 'cancel', 1), track(p, 'void', 'b', 2), track(p, 'void', 'c', 3),
        track(p, 'again', 'a', 0), track(p, 'again', 'cancel', 1), track(p, 'again', 'a', 2), track(p, 'again', 'b', 3), track(p, 'again', 'c', 4),
        // At the same time as step 1 it is not after it; at the same time as a step it is.
        track(p, 'tie1', 'a', 0), track(p, 'tie1', 'cancel', 0), track(p, 'tie1', 'b', 1), track(p, 'tie1', 'c', 2),
        track(p, 'tie2', 'a', 0), track(p, 'tie2', 'b', 1), track(p, 'tie2', 'cancel', 1), track(p, 'tie2', 'c', 2),
      ],
      { ...abc, exclusions: [{ event: 'cancel' }] },
    );
    assert.deepEqual(counts(r), [4, 2, 2]);
    assert.deepEqual(medians(r), [null, 1, 2]);
    // Only between steps 2 and 3: cancelling before step 2 is fine.
    const ranged = await run(
      (p) => [
        track(p, 'early', 'a', 0), track(p, 'early', 'cancel', 1), track(p, 'early', 'b', 2), track(p, 'early', 'c', 3),
        track(p, 'late', 'a', 0), track(p, 'late', 'b', 1), track(p, 'late', 'cancel', 2), track(p, 'late', 'c', 3),
      ],
      { ...abc, exclusions: [{ event: 'cancel', from_step: 2, to_step: 3 }] },
    );
    assert.deepEqual(counts(ranged), [2, 2, 1]);
  });

  it('open mode: the highest step matched counts for every earlier step', async () => {
    const r = await run(
      (p) => [
        track(p, 'only-c', 'c', 0),
        track(p, 'backwards', 'b', 0), track(p, 'backwards', 'a', 50 * 86_400 / 50),
        track(p, 'a-only', 'a', 0),
      ],
      { ...abc, mode: 'open', window_seconds: 1 },
    );
    assert.deepEqual(counts(r), [3, 2, 1]);
    assert.deepEqual(medians(r), [null, null, null]);
  });

  it('by session: each session is its own unit', async () => {
    const events = (p: string) => [
      track(p, 'u1', 'a', 0, { session_id: 's1' }), track(p, 'u1', 'b', 10, { session_id: 's2' }),
      track(p, 'u2', 'a', 0, { session_id: 's3' }), track(p, 'u2', 'b', 10, { session_id: 's3' }),
      // Anonymous: the session is the person.
      track(p, '', 'a', 0, { session_id: 's4' }), track(p, '', 'b', 10, { session_id: 's4' }),
    ];
    assert.deepEqual(counts(await run(events, { steps: [{ event: 'a' }, { event: 'b' }] })), [3, 3]);
    assert.deepEqual(counts(await run(events, { steps: [{ event: 'a' }, { event: 'b' }], by: 'session' })), [3, 2]);
  });

  it('data mode, app and range narrow the events read', async () => {
    const events = (p: string) => [
      track(p, 'prod', 'a', 0), track(p, 'prod', 'b', 1),
      track(p, 'dev', 'a', 0, { is_dev: true }), track(p, 'dev', 'b', 1, { is_dev: true }),
      track(p, 'web', 'a', 0, { app_id: 'web' }), track(p, 'web', 'b', 1, { app_id: 'web' }),
      track(p, 'before', 'a', -1), track(p, 'before', 'b', 1),
    ];
    const steps = { steps: [{ event: 'a' }, { event: 'b' }] };
    assert.deepEqual(counts(await run(events, steps)), [2, 2]);
    assert.deepEqual(counts(await run(events, steps, { scope: { isDev: true } })), [1, 1]);
    assert.deepEqual(counts(await run(events, steps, { scope: { isDev: undefined } })), [3, 3]);
    assert.deepEqual(counts(await run(events, steps, { scope: { appId: 'web' } })), [1, 1]);
    assert.deepEqual(counts(await run(events, steps, { scope: { toMs: t0 + 1000 } })), [2, 0], 'to is exclusive');
  });

  it('where conditions on attributes and columns', async () => {
    const r = await run(
      (p) => [
        ['u1', { amount: '120', coupon: 'SPRING' }, 'DE'],
        ['u2', { amount: '80' }, 'US'],
        ['u3', { amount: 'n/a', coupon: '' }, 'DE'],
      ].flatMap(([u, attributes, country]) => [
        track(p, u as string, 'a', 0, { attributes: attributes as Record<string, string>, country: country as string }),
        track(p, u as string, 'b', 1, { attributes: attributes as Record<string, string>, country: country as string }),
      ]),
      { steps: [{ event: 'a' }, { event: 'b' }] },
    );
    assert.deepEqual(counts(r), [3, 3]);
    const cases: [object, number][] = [
      [{ property: 'amount', op: 'gt', value: 100 }, 1],
      [{ property: 'amount', op: 'lt', value: 100 }, 1],
      [{ property: 'coupon', op: 'exists' }, 2],
      [{ property: 'coupon', op: 'eq', value: '' }, 2],
      [{ property: 'coupon', op: 'neq', value: 'SPRING' }, 2],
      [{ property: 'coupon', op: 'contains', value: 'PRI' }, 1],
      [{ property: 'country', op: 'eq', value: 'DE' }, 2],
      [{ property: 'country', op: 'exists' }, 3],
    ];
    for (const [filter, expected] of cases) {
      const p = `f${project}`;
      const report = await runFunnel(wh, { projectId: p, fromMs: t0, toMs: t0 + day, isDev: false }, FunnelDefinition.parse({ steps: [{ event: 'a' }, { event: 'b', where: [filter] }] }));
      assert.equal(report.groups[0]!.steps[1]!.count, expected, JSON.stringify(filter));
    }
  });

  it('breakdown by experiment: the variant of the first step-1 event, compared against the control', async () => {
    const people = Array.from({ length: 80 }, (_, i) => ({ id: `u${i}`, variant: i % 2 === 0 ? 'control' : 'b', converts: i % 2 === 0 ? i % 8 === 0 : i % 4 === 1 }));
    const r = await run(
      (p) => [
        ...people.flatMap((u) => [
          track(p, u.id, 'a', 0, { experiments: { checkout: u.variant } }),
          // The variant on later events does not move the person.
          ...(u.converts ? [track(p, u.id, 'b', 10, { experiments: { checkout: 'other' } })] : []),
        ]),
        track(p, 'outside', 'a', 0),
      ],
      { steps: [{ event: 'a' }, { event: 'b' }] },
      { breakdown: { experiment: 'checkout' } },
    );
    assert.deepEqual(r.groups.map((g) => [g.value, g.totals.entered, g.totals.converted]), [['b', 40, 20], ['control', 40, 10], ['', 1, 0]]);
    assert.equal(r.experiment?.control, 'control');
    assert.deepEqual(r.experiment?.variants.map((v) => [v.variant, v.users, v.conversions]), [['control', 40, 10], ['b', 40, 20]]);
  });

  it('breakdown by app version and by a user property', async () => {
    const events = (p: string) => [
      // Upgraded between the steps: counted under the version of step 1.
      track(p, 'u1', 'a', 0, { app_version: '1.0', user_set: { plan: 'pro' } }), track(p, 'u1', 'b', 10, { app_version: '2.0' }),
      track(p, 'u2', 'a', 0, { app_version: '2.0', user_set: { plan: 'free' } }),
      track(p, 'u2', 'settings', 5, { user_set: { plan: 'pro' } }),
      track(p, 'u3', 'a', 0, { app_version: '2.0' }), track(p, 'u3', 'b', 1, { app_version: '2.0' }),
      track(p, '', 'a', 0, { session_id: 'anon', app_version: '2.0' }),
    ];
    const steps = { steps: [{ event: 'a' }, { event: 'b' }] };
    const byVersion = await run(events, steps, { breakdown: { property: 'app_version' } });
    assert.deepEqual(byVersion.groups.map((g) => [g.value, g.totals.entered, g.totals.converted]), [['2.0', 3, 1], ['1.0', 1, 1]]);
    assert.equal(byVersion.experiment, undefined);
    const byPlan = await run(events, steps, { breakdown: { user_property: 'plan' } });
    assert.deepEqual(byPlan.groups.map((g) => [g.value, g.totals.entered, g.totals.converted]), [['', 2, 1], ['pro', 2, 1]]);
  });

  it('a range under three weeks reads only its days, through the by_day projection, to the millisecond', async () => {
    const p = `f${++project}`;
    // 5,000 people with an event every 12 hours for 20 days (a, b, c in turn), at t0 + k·12 h + <person> ms:
    // enough rows that each day is about a granule of its own.
    await wh.command(
      `INSERT INTO events (project_id, app_id, is_dev, event_id, ts, received_at, name, level, message, session_id, user_id, retention_days, kind)
       SELECT {p:String}, 'app', false, toString(number), ts, ts, ['a', 'b', 'c'][1 + k % 3], 'info', '', concat('s', toString(person)), concat('u', toString(person)), 90, 'track'
       FROM (SELECT number, number % 5000 AS person, intDiv(number, 5000) AS k,
               fromUnixTimestamp64Milli(toInt64({t0:Int64} + k * 43200000 + person), 'UTC') AS ts FROM numbers(200000))`,
      { p, t0 },
    );
    const funnel = async (fromMs: number, toMs: number) => counts(await runFunnel(wh, { projectId: p, fromMs, toMs, isDev: false }, FunnelDefinition.parse(abc)));
    // a at day 3, b at 3½, c at day 4 + <person> ms: the range's end cuts c in two.
    assert.deepEqual(await funnel(t0 + 3 * day, t0 + 4 * day + 2500), [5000, 5000, 2500]);
    assert.deepEqual(await funnel(t0 + 3 * day + 2500, t0 + 4 * day + 2500), [2500, 2500, 0]);
    assert.deepEqual(await funnel(t0 + 3 * day, t0 + 4 * day), [5000, 5000, 0], 'an end at midnight leaves the next day out');
    const spec = { projectId: p, fromMs: t0 + 3 * day, toMs: t0 + 4 * day, isDev: false, steps: abc.steps, mode: 'closed', windowMs: day, strictOrder: false, exclusions: [], by: 'user' } as const;
    const { sql, params } = funnelSql(spec);
    const plan = (await wh.query<{ explain: string }>(`EXPLAIN indexes = 1 ${sql}`, params)).map((r) => r.explain).join('\n');
    assert.match(plan, /ReadFromMergeTree \(by_day\)/);
  });

  it('nobody in range: zero counts without a breakdown, no groups with one', async () => {
    const r = await run(() => [], { steps: [{ event: 'a' }, { event: 'b' }] });
    assert.deepEqual(r.groups, [{
      value: null,
      steps: ['a', 'b'].map((event) => ({ event, count: 0, conversion_rate: 0, step_conversion_rate: 0, drop_off: 0, drop_off_rate: 0, median_seconds_to_convert: null })),
      totals: { entered: 0, converted: 0, conversion_rate: 0, median_seconds_to_convert: null },
    }]);
    const split = await run(() => [], { steps: [{ event: 'a' }, { event: 'b' }] }, { breakdown: { experiment: 'x' } });
    assert.deepEqual(split.groups, []);
  });
  it('trend: each unit counts in the period it entered, with how far it got over the whole range', async () => {
    const p = `f${++project}`;
    const h = 3600;
    await wh.insert('events', [
      // Day 0: u1 converts the same day, u2 converts on day 2 (its period is still day 0), u3 never does.
      track(p, 'u1', 'a', 0), track(p, 'u1', 'b', 60), track(p, 'u1', 'c', 120),
      track(p, 'u2', 'a', 10), track(p, 'u2', 'b', 2 * 24 * h), track(p, 'u2', 'c', 2 * 24 * h + 60),
      track(p, 'u3', 'a', 20),
      // Day 1: u4 enters and reaches b; it entered again on day 3, but its first entry decides.
      track(p, 'u4', 'a', 24 * h), track(p, 'u4', 'b', 24 * h + 5), track(p, 'u4', 'a', 3 * 24 * h),
      // Day 9, next week: u5 converts; u6 only does c (no entry).
      track(p, 'u5', 'a', 9 * 24 * h), track(p, 'u5', 'b', 9 * 24 * h + 1), track(p, 'u5', 'c', 9 * 24 * h + 2),
      track(p, 'u6', 'c', 9 * 24 * h),
    ]);
    const scope: FunnelScope = { projectId: p, fromMs: t0, toMs: t0 + 10 * day, isDev: false };
    const definition = FunnelDefinition.parse(abc);
    const days = await runFunnelTrend(wh, scope, definition, 'day');
    const dayOf = (n: number) => new Date(t0 + n * day).toISOString().slice(0, 10);
    assert.deepEqual(days.map((d) => d.period), periodsOf(scope.fromMs, scope.toMs, 'day'));
    assert.equal(days.length, 10);
    const seen = days.filter((d) => d.entered > 0).map((d) => [d.period, d.counts, d.converted, d.conversion_rate]);
    assert.deepEqual(seen, [[dayOf(0), [3, 2, 2], 2, 2 / 3], [dayOf(1), [1, 1, 0], 0, 0], [dayOf(9), [1, 1, 1], 1, 1]]);
    assert.deepEqual(days[5], { period: dayOf(5), entered: 0, converted: 0, conversion_rate: 0, counts: [0, 0, 0] });

    // The periods add up to the funnel over the whole range.
    const whole = await runFunnel(wh, scope, definition);
    const sums = definition.steps.map((_, i) => days.reduce((sum, d) => sum + d.counts[i]!, 0));
    assert.deepEqual(sums, whole.groups[0]!.steps.map((s) => s.count));

    const weeks = await runFunnelTrend(wh, scope, definition, 'week');
    const mondays = periodsOf(scope.fromMs, scope.toMs, 'week');
    assert.ok(mondays.every((m) => new Date(`${m}T00:00:00Z`).getUTCDay() === 1), 'weeks start on Monday');
    assert.ok(mondays[0]! <= dayOf(0) && dayOf(0) < mondays[1]!);
    const weekOf = (n: number) => mondays.filter((m) => m <= dayOf(n)).at(-1);
    const expected = new Map<string, number[]>();
    for (const [n, c] of [[0, [3, 2, 2]], [1, [1, 1, 0]], [9, [1, 1, 1]]] as const) {
      const w = weekOf(n)!;
      expected.set(w, (expected.get(w) ?? [0, 0, 0]).map((v, i) => v + c[i]!));
    }
    assert.deepEqual(weeks.map((w) => [w.period, w.counts]), mondays.map((m) => [m, expected.get(m) ?? [0, 0, 0]]));
  });
});
