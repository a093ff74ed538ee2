import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LogEvent, type EventBatchRecord } from '@strix/contracts';
import { EventRow } from '@strix/warehouse';
import { groupEvent } from '@strix/grouping';
import { normalizeEvent } from './normalize.ts';
import { createToRowStep, toEventRow } from './to-event-row.ts';
import { StepOutcomes } from './runner.ts';

const source = { topic: 'events', partition: 0, offset: 7 } as const;

/** A row the way the pipeline builds it, from an event that passed the log schema. */
function rowOf(fields: Record<string, unknown>): EventRow {
  const raw = LogEvent.parse({ event_id: 'e1', ts: 1_700_000_000_000, message: 'boom', ...fields });
  const record: EventBatchRecord = { v: 1, project_id: 'p1', app_id: 'a1', retention_days: 30, received_at: 1_700_000_000_001, events: [raw] };
  const event = normalizeEvent(raw);
  const grouping = groupEvent({ ...event, app_id: record.app_id });
  return EventRow.parse(toEventRow(source, record, event, grouping));
}

test('an error row carries its grouping and its frames as received', () => {
  const frames = [
    { function: 'processTicksAndRejections', filename: 'node:internal/process/task_queues', lineno: 95 },
    { function: 'loadUser', filename: '/srv/app/src/users.ts', lineno: 12, colno: 3, in_app: true },
  ];
  const row = rowOf({ level: 'error', exception: { type: ' NotFoundError ', value: 'User 1 not found', stacktrace: { frames } } });
  assert.match(row.fingerprint, /^[0-9a-f]{64}$/);
  assert.match(row.fingerprint_previous ?? '', /^[0-9a-f]{64}$/);
  assert.equal(row.grouping_config, 'strix-2');
  assert.equal(row.exception_type, 'NotFoundError');
  assert.equal(row.culprit, 'loadUser (src/users.ts)');
  assert.deepEqual(JSON.parse(row.stack_frames ?? ''), frames);
});

test('other rows fill every grouping column with empty text', () => {
  const row = rowOf({ level: 'info' });
  assert.deepEqual(
    [row.fingerprint, row.fingerprint_previous, row.grouping_config, row.exception_type, row.culprit, row.stack_frames],
    ['', '', '', '', '', ''],
  );
  assert.equal(rowOf({ level: 'error', exception: { type: 'E', stacktrace: { frames: [] } } }).stack_frames, '');
});

test('the step builds the row from the grouped event and the record it came in', () => {
  const raw = LogEvent.parse({ event_id: 'e1', ts: 1_700_000_000_000, message: 'boom', level: 'error' });
  const batch: EventBatchRecord = { v: 1, project_id: 'p1', app_id: 'a1', retention_days: 30, received_at: 1_700_000_000_001, events: [raw] };
  const event = normalizeEvent(raw);
  const grouping = groupEvent({ ...event, app_id: batch.app_id });
  const record = { ...source, key: 'p1', value: Buffer.alloc(0) };
  const result = createToRowStep()({ event, grouping }, { record, batch, outcomes: new StepOutcomes() });
  assert.deepEqual(result, { kind: 'ok', value: toEventRow(record, batch, event, grouping) });
  assert.deepEqual(result.kind === 'ok' && [result.value.log_offset, result.value.fingerprint], [7, grouping.fingerprint]);
});
