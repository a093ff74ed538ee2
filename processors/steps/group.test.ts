import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LogEvent, type EventBatchRecord } from '@strix/contracts';
import { groupEvent } from '@strix/grouping';
import { createGroupStep } from './group.ts';
import { normalizeEvent } from './normalize.ts';
import { StepOutcomes } from './runner.ts';
import type { EventSource } from './step.ts';

const batch: EventBatchRecord = { v: 1, project_id: 'p1', app_id: 'a1', retention_days: 30, received_at: 1, events: [] };
const source: EventSource = { record: { topic: 'events', partition: 0, offset: 0, key: 'p1', value: Buffer.alloc(0) }, batch, outcomes: new StepOutcomes() };
const event = (fields: Record<string, unknown>) => normalizeEvent(LogEvent.parse({ event_id: 'e1', ts: 1, message: 'boom', ...fields }));

test('an error is grouped as groupEvent groups it, with the batch\'s app', () => {
  const error = event({ level: 'error', exception: { type: 'TypeError', value: 'x is undefined' } });
  const result = createGroupStep()(error, source);
  assert.equal(result.kind, 'ok');
  if (result.kind !== 'ok') return;
  assert.equal(result.value.event, error, 'the event is passed on as it is');
  const { is_dev, level, source_module, message, fingerprint, exception } = error;
  assert.deepEqual(result.value.grouping, groupEvent({ app_id: 'a1', is_dev, level, source_module, message, fingerprint, exception }));
  assert.match(result.value.grouping.fingerprint, /^[0-9a-f]{64}$/);
});

test('the app is part of the grouping: the same error of another app is another issue', () => {
  const error = event({ level: 'error', message: 'Connection reset' });
  const here = createGroupStep()(error, source);
  const there = createGroupStep()(error, { ...source, batch: { ...batch, app_id: 'a2' } });
  assert.ok(here.kind === 'ok' && there.kind === 'ok');
  assert.notEqual(here.value.grouping.fingerprint, there.value.grouping.fingerprint);
});

test('an event that is not an error is passed on with an empty grouping, never dropped', () => {
  const result = createGroupStep()(event({ level: 'info' }), source);
  assert.equal(result.kind, 'ok');
  assert.equal(result.kind === 'ok' && result.value.grouping.fingerprint, '');
});
