import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EventRow } from '@strix/warehouse';
import { eventRow } from '@strix/testkit/rows';
import { openStore } from '@strix/testkit/stores';
import { createMetricDurationsStep, fillDurations } from './metric-durations.ts';
import { StepOutcomes } from './runner.ts';

// Recent: stored rows older than their retention are gone.
const T = Date.now() - 60_000;

const phase = (metric_phase: EventRow['metric_phase'], tracking_id: string, ts: number, fields: Partial<EventRow> = {}): EventRow =>
  eventRow({ project_id: 'p1', app_id: 'a1', kind: 'metric', name: 'checkout', metric_phase, tracking_id, ts, duration_ms: null, ...fields });

test('an end gets its distance from a start in the same batch or one already stored', async (t) => {
  const store = await openStore('p1');
  t.after(store.close);
  // Two stored starts of one operation: the earliest counts.
  await store.wh.insert('events', [phase('start', 'stored', T + 100), phase('start', 'stored', T)]);

  const rows = [
    phase('start', 'batch', T + 1_000),
    phase('complete', 'batch', T + 1_250),
    phase('fail', 'stored', T + 5_000),
    phase('complete', 'unknown', T + 5_000),
    phase('complete', 'sent', T + 5_000, { duration_ms: 42 }),
    phase('cancel', 'stored', T + 5_000, { app_id: 'a2' }),
  ];
  await fillDurations(store.wh, rows);
  assert.deepEqual(
    rows.map((row) => row.duration_ms),
    [null, 250, 5_000, null, 42, null],
    'an unknown start (another app\'s is unknown) leaves no duration; a sent one is kept',
  );
});

test('a start later than its end gives no duration', async (t) => {
  const store = await openStore('p1');
  t.after(store.close);
  const rows = [phase('start', 'late', T + 10), phase('complete', 'late', T)];
  await fillDurations(store.wh, rows);
  assert.equal(rows[1]?.duration_ms, null);
});

test('the step fills the batch\'s rows in place and refuses none', async () => {
  // No end lacks a duration, so the warehouse is never asked.
  const never = new Proxy({}, { get: () => assert.fail('the warehouse was used') }) as never;
  const rows = [phase('start', 'x', T), phase('complete', 'x', T + 7)];
  const refused = await createMetricDurationsStep({ warehouse: never })({
    consumer: never,
    records: [],
    token: 't',
    rows,
    outcomes: new StepOutcomes(),
  });
  assert.deepEqual(refused, []);
  assert.equal(rows[1]?.duration_ms, 7);
});
