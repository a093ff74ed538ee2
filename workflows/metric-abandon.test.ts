import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { abandonCursor, findAbandoned, queryMetricSeries, writeAbandoned, type EventRow } from '@strix/warehouse';
import type { ChdbWarehouse } from '@strix/warehouse/chdb';
import { eventRow } from '@strix/testkit/rows';
import { openStore } from '@strix/testkit/stores';
import { createActivities } from './activities.ts';
import { executeScheduledRun, MINUTE_MS } from './jobs.ts';
import { jobTypes } from '@strix/contracts';
import { defaultAbandonSettings, markAbandonedOperations } from './metric-abandon.ts';
import { sharedTestControl } from '@strix/testkit/control';

const HOUR = 3_600_000;
const settings = defaultAbandonSettings;

describe('metric-abandon on chDB', () => {
  let wh: ChdbWarehouse;
  let close: () => Promise<void>;
  // The real clock, less a few hours: rollups and events keep rows by it. `inserted_at` is set per row.
  const t0 = Math.floor(Date.now() / HOUR) * HOUR - 5 * HOUR;

  /** A metric point of project p that reached the warehouse at `insertedAt`. */
  const point = (fields: Partial<EventRow>, insertedAt: number) => ({
    ...eventRow({ project_id: 'p', kind: 'metric', name: 'checkout', app_id: 'ios', user_id: 'u1', ts: insertedAt - 5_000, ...fields }),
    inserted_at: insertedAt,
  });

  const abandonedRows = async () =>
    wh.query<{ event_id: string; tracking_id: string; app_id: string; ts: number; app_version: string; attributes: object; user_set: object }>(
      `SELECT event_id, tracking_id, app_id, toUnixTimestamp64Milli(ts) AS ts, app_version, attributes, user_set FROM events
       WHERE metric_phase = 'abandoned' ORDER BY app_id, tracking_id`,
    );

  const minuteOf = async (ts: number) => {
    const result = await queryMetricSeries(wh, { projectId: 'p', fromMs: ts, toMs: ts + 1, isDev: false, name: 'checkout', interval: 'minute', maxGroups: 1 });
    return result.summary;
  };

  before(async () => {
    ({ wh, close } = await openStore('p'));
    await wh.insert('events', [
      point({ metric_phase: 'start', tracking_id: 'lost', app_version: '2.1.0', attributes: { step: 'pay' }, user_set: { plan: 'pro' } }, t0),
      point({ metric_phase: 'start', tracking_id: 'done' }, t0),
      point({ metric_phase: 'complete', tracking_id: 'done', duration_ms: 300 }, t0 + 300),
      point({ metric_phase: 'start', tracking_id: 'failed' }, t0),
      point({ metric_phase: 'fail', tracking_id: 'failed', duration_ms: 10 }, t0 + 10),
      point({ metric_phase: 'start', tracking_id: 'cancelled' }, t0),
      point({ metric_phase: 'cancel', tracking_id: 'cancelled' }, t0 + 20 * MINUTE_MS),
      // The same tracking id in another app: its end does not close the start above.
      point({ metric_phase: 'start', tracking_id: 'shared' }, t0),
      point({ app_id: 'android', metric_phase: 'complete', tracking_id: 'shared', duration_ms: 5 }, t0 + 1_000),
      // A start whose row arrived 30 minutes after it began (client time): its timeout runs from arrival.
      point({ metric_phase: 'start', tracking_id: 'late', ts: t0 - 30 * MINUTE_MS }, t0 + MINUTE_MS),
    ]);
  });
  after(async () => close());

  it('marks a start as abandoned once the timeout since it arrived has passed, and only then', async () => {
    const early = await markAbandonedOperations(wh, t0 + settings.timeoutMs - 1, settings);
    assert.equal(early.abandoned, 0);
    assert.deepEqual(await abandonedRows(), []);

    const due = await markAbandonedOperations(wh, t0 + settings.timeoutMs, settings);
    assert.equal(due.abandoned, 2);
    const rows = await abandonedRows();
    assert.deepEqual(rows.map((r) => [r.event_id, r.app_id]), [['abandoned:lost', 'ios'], ['abandoned:shared', 'ios']]);
    const lost = rows[0];
    assert.equal(Number(lost?.ts), t0 - 5_000, "the start's ts, so the rollups count it in the start's minute");
    assert.deepEqual([lost?.app_version, lost?.attributes, lost?.user_set], ['2.1.0', { step: 'pay' }, {}], "the start's dimensions, not its user properties");
    assert.equal(await abandonCursor(wh), t0);

    const later = await markAbandonedOperations(wh, t0 + MINUTE_MS + settings.timeoutMs, settings);
    assert.equal(later.abandoned, 1);
    assert.deepEqual((await abandonedRows()).map((r) => r.tracking_id), ['late', 'lost', 'shared']);
  });

  it('counts abandoned operations in the rollups, in the bucket of their start', async () => {
    const minute = await minuteOf(t0 - 5_000);
    assert.deepEqual([minute.starts, minute.completes, minute.fails, minute.abandoned], [5, 2, 1, 2]);
    assert.equal(minute.count, 8, 'abandoned rows are not points a client sent');
    assert.equal((await minuteOf(t0 - 30 * MINUTE_MS)).abandoned, 1);
  });

  it('re-runs and concurrent runs mark nothing twice', async () => {
    const now = t0 + MINUTE_MS + settings.timeoutMs;
    const again = await markAbandonedOperations(wh, now, settings);
    assert.deepEqual([again.abandoned, again.starts], [0, 6], 'the overlap re-read every start so far');
    await Promise.all([markAbandonedOperations(wh, now, settings), markAbandonedOperations(wh, now + 1, settings)]);
    assert.equal((await abandonedRows()).length, 3);

    // Two runs that both read before either wrote: the second insert carries the first one's token.
    await wh.insert('events', [point({ metric_phase: 'start', tracking_id: 'race' }, t0 + 2 * MINUTE_MS)]);
    const window = { from: t0 + MINUTE_MS, to: t0 + 2 * MINUTE_MS };
    const first = await findAbandoned(wh, window, now, 100);
    const second = await findAbandoned(wh, window, now + 1, 100);
    assert.deepEqual([first.rows.length, second.rows.length], [1, 1]);
    await writeAbandoned(wh, first.rows);
    await writeAbandoned(wh, second.rows);
    assert.deepEqual((await abandonedRows()).map((r) => r.tracking_id), ['late', 'lost', 'race', 'shared']);
    assert.equal((await minuteOf(t0 + 2 * MINUTE_MS - 5_000)).abandoned, 1, 'the rollups dropped the second block too');
  });

  it('still counts an end that arrives after its operation was marked', async () => {
    const at = t0 + 3 * HOUR;
    await wh.insert('events', [point({ metric_phase: 'complete', tracking_id: 'lost', duration_ms: 2 * HOUR, ts: at }, at)]);
    await markAbandonedOperations(wh, at + settings.timeoutMs, settings);
    assert.equal((await minuteOf(t0 - 5_000)).abandoned, 2, 'the mark stays in the start minute');
    const end = await minuteOf(at);
    assert.deepEqual([end.completes, end.success_rate, end.duration?.p50], [1, 1, 2 * HOUR]);
    assert.equal((await abandonedRows()).length, 4);
  });

  it('reads starts from its cursor, carries a backlog over runs, and never moves the cursor back', async () => {
    const cursor = await abandonCursor(wh);
    // Stamped before the cursor less the overlap: a start the job already read past.
    const passed = cursor - settings.overlapMs - MINUTE_MS;
    const fresh = cursor + MINUTE_MS;
    await wh.insert('events', [
      point({ metric_phase: 'start', tracking_id: 'passed' }, passed),
      ...['b1', 'b2', 'b3'].map((id, i) => point({ metric_phase: 'start', tracking_id: id }, fresh + i)),
    ]);
    const now = fresh + 10 + settings.timeoutMs;
    const first = await markAbandonedOperations(wh, now, { ...settings, maxPerRun: 2 });
    assert.deepEqual([first.abandoned, first.more], [2, true]);
    assert.equal(await abandonCursor(wh), fresh + 1, 'the cursor stops at the last start marked');
    const second = await markAbandonedOperations(wh, now, { ...settings, maxPerRun: 2 });
    assert.deepEqual([second.abandoned, second.more], [1, false]);
    assert.equal(await abandonCursor(wh), now - settings.timeoutMs);
    const marked = (await abandonedRows()).map((r) => r.tracking_id);
    assert.ok(['b1', 'b2', 'b3'].every((id) => marked.includes(id)));
    assert.ok(!marked.includes('passed'));

    await markAbandonedOperations(wh, now - HOUR, settings);
    assert.equal(await abandonCursor(wh), now - settings.timeoutMs, 'an older run does not move it back');
  });

  it('runs as the metric_abandon job every minute, with the configured timeout, and records the run', async () => {
    assert.equal(jobTypes.metric_abandon.intervalMs, MINUTE_MS);
    const at = (await abandonCursor(wh)) + MINUTE_MS;
    await wh.insert('events', [point({ metric_phase: 'start', tracking_id: 'short' }, at)]);
    const control = await sharedTestControl();
    const activities = createActivities({ warehouse: wh, directory: control, metricAbandonAfterMs: 5 * MINUTE_MS, now: () => at + 5 * MINUTE_MS });
    const outcome = await executeScheduledRun(activities, { job: 'metric_abandon', runId: `abandon-${at}`, scheduledAt: at });
    assert.equal(outcome.status, 'completed');
    assert.equal(outcome.status === 'completed' && outcome.summary.abandoned, 1);
    const run = await control.jobRuns().get(`abandon-${at}`);
    assert.equal(run?.status, 'completed');
    assert.equal(run?.summary?.to, at);
  });
});
