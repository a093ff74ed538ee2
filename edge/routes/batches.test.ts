import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventBatchRecord, type LogEvent } from '@strix/contracts';
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
