import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventBatchRecord, type LogEvent, type LogRecord } from '@strix/contracts';
import type { Partitioning } from '../edge.ts';
import type { HotKeys } from '../hot-keys.ts';
import { validateEvents, validateMetrics, validateTrack } from '../validate-events.ts';
import { toLogRecords } from './batches.ts';

const principal = { projectId: 'p1', appId: 'a1', retentionDays: 30 };
const event = (id: string, user?: string): LogEvent => ({
  event_id: id, ts: 1, level: 'info', message: 'm', is_dev: false, ...(user !== undefined && { user_id: user }),
});

/** Partitions by the user's first letter (p1:a… → 0, p1:b… → 1, none → 2); hot users are listed. */
const partitioning = (hot: string[] = []): Partitioning => ({
  partitionOf: (key) => ({ a: 0, b: 1 })[key.slice(3, 4)] ?? 2,
  hotKeys: { hot: (key: string) => hot.includes(key) } as HotKeys,
});
const eventIds = (record: LogRecord | undefined) => EventBatchRecord.parse(JSON.parse(record!.value.toString())).events.map((e) => e.event_id);

test('on a partitioned log, one record per partition: the users that share one share a record, each user in order', () => {
  const events = [event('1', 'a1'), event('2', 'b1'), event('3', ' a1'), event('4'), event('5', 'a2'), event('6', 'a1')];
  const { events: records, overflow } = toLogRecords(principal, 5, events, partitioning());
  assert.deepEqual(records.map((r) => [r.key, r.partition]), [['p1:', 0], ['p1:', 1], ['p1:', 2]]);
  assert.deepEqual(records.map(eventIds), [['1', '3', '6', '5'], ['2'], ['4']], "a trimmed user id is the same user; a user's events keep their order");
  const batches = records.map((r) => EventBatchRecord.parse(JSON.parse(r.value.toString())));
  assert.ok(batches.every((b) => b.project_id === 'p1' && b.app_id === 'a1' && b.received_at === 5 && b.retention_days === 30));
  assert.deepEqual(overflow, []);
});

test("a hot user's events go to the overflow topic as a record of their own under a spread key", () => {
  const events = [event('1', 'a1'), event('2', 'a2'), event('3', 'a1')];
  const first = toLogRecords(principal, 5, events, partitioning(['p1:a1']));
  assert.deepEqual(first.events.map(eventIds), [['2']]);
  assert.deepEqual(first.overflow.map(eventIds), [['1', '3']]);
  assert.equal(first.overflow[0]!.key, 'p1:a1#1');
  assert.equal(first.overflow[0]!.partition, undefined, 'the spread key picks the partition');
  const retry = toLogRecords(principal, 6, events, partitioning(['p1:a1']));
  assert.equal(retry.overflow[0]!.key, first.overflow[0]!.key, 'a retry that overflows again lands where its first attempt did');
  const next = toLogRecords(principal, 6, [event('7', 'a1')], partitioning(['p1:a1']));
  assert.equal(next.overflow[0]!.key, 'p1:a1#7', "the user's next request spreads elsewhere");
});

test('on the embedded log a request stays one record', () => {
  const { events: records, overflow } = toLogRecords(principal, 5, [event('1', 'u1'), event('2', 'u2')]);
  assert.equal(records.length, 1);
  assert.equal(records[0]?.key, 'p1:');
  assert.equal(records[0]?.partition, undefined);
  assert.deepEqual(overflow, []);
});

/**
 * The processors trust a version-1 record's events without validating them
 * again (processors/steps/parse-record.ts): that holds because whatever the
 * edge writes is already what the schema of record makes of it.
 */
test('every endpoint writes records the event batch schema parses to themselves', () => {
  const context = {
    session_id: 's1', user_id: 'u1', screen_name: 'Home', experiments: { paywall: 'b' }, environment: 'production', os_version: '17.4',
    app_version: '2.3.1', build_number: '77', device_model: 'iPhone15,3', locale: 'en_US', country: 'DE', is_dev: true,
    $set: { plan: 'pro', seats: 3, trial: false }, $set_once: { first: 'x' }, timestamp: '2026-11-30T10:00:00.000+01:00',
  };
  const receivedAt = Date.parse('2026-11-30T09:01:00Z');
  const batches = [
    validateEvents([
      { ...context, client_event_id: 'c1', level: 'warning', message: 'low disk', name: 'disk', source_module: 'Storage', attributes: { free: 12, ok: true, tag: 't' } },
      { message: 'crash', level: 'error', fingerprint: ['{{ default }}', 'x'], exception: { type: 'TypeError', value: 'x is undefined', stacktrace: { frames: [{ function: 'f', filename: 'a.js', lineno: 3, in_app: true }] } } },
      { message: 'minimal' },
    ], receivedAt),
    validateTrack([
      { ...context, name: '$pageview', path: '/users/42/settings?tab=2' },
      { name: 'cart.add', props: { sku: 'A1', price: 9.5 } },
    ], receivedAt),
    validateMetrics([
      { ...context, name: 'load', value: 120, unit: 'ms', tags: { screen: 'Home' } },
      { name: 'sync', phase: 'start', tracking_id: 't1', trace_id: 'tr', span_id: 'sp' },
      { name: 'sync', phase: 'fail', tracking_id: 't1', duration_ms: 40, error: 'offline' },
    ], receivedAt),
  ];
  for (const { accepted, errors } of batches) {
    assert.deepEqual(errors, []);
    for (const record of toLogRecords(principal, receivedAt, accepted, partitioning()).events) {
      const written: unknown = JSON.parse(record.value.toString());
      assert.deepEqual(EventBatchRecord.parse(written), written);
    }
  }
});
