import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventBatchRecord, type LogEvent } from '@strix/contracts';
import { validateEvents, validateMetrics, validateTrack } from '../validate-events.ts';
import { toLogRecords } from './batches.ts';

const principal = { projectId: 'p1', appId: 'a1', retentionDays: 30 };
const event = (id: string, user?: string): LogEvent => ({
  event_id: id, ts: 1, level: 'info', message: 'm', is_dev: false, ...(user !== undefined && { user_id: user }),
});

test('on a partitioned log, one record per user keyed by project and trimmed user', () => {
  const records = toLogRecords(principal, 5, [event('1', 'u1'), event('2', ' u1'), event('3'), event('4', 'u2')], true);
  assert.deepEqual(records.map((r) => r.key), ['p1:u1', 'p1:', 'p1:u2']);
  const batches = records.map((r) => EventBatchRecord.parse(JSON.parse(r.value.toString())));
  assert.deepEqual(batches.map((b) => b.events.map((e) => e.event_id)), [['1', '2'], ['3'], ['4']]);
  assert.ok(batches.every((b) => b.project_id === 'p1' && b.app_id === 'a1' && b.received_at === 5 && b.retention_days === 30));
});

test('on the embedded log a request stays one record', () => {
  const records = toLogRecords(principal, 5, [event('1', 'u1'), event('2', 'u2')], false);
  assert.equal(records.length, 1);
  assert.equal(records[0]?.key, 'p1:');
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
    for (const record of toLogRecords(principal, receivedAt, accepted, true)) {
      const written: unknown = JSON.parse(record.value.toString());
      assert.deepEqual(EventBatchRecord.parse(written), written);
    }
  }
});
