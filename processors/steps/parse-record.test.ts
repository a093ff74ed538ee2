import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConsumedRecord, EventBatchRecord } from '@strix/contracts';
import { createParseStep, parseRecord } from './parse-record.ts';

const batch: EventBatchRecord = {
  v: 1,
  project_id: 'p1',
  app_id: 'a1',
  retention_days: 30,
  received_at: 1_700_000_000_000,
  events: [{ event_id: 'e1', ts: 1_700_000_000_000, level: 'info', message: 'opened', is_dev: false }],
};

const record = (value: string): ConsumedRecord => ({ topic: 'events', partition: 0, offset: 3, key: 'p1', value: Buffer.from(value) });

test('a record written by the edge parses to its batch', () => {
  const result = parseRecord(Buffer.from(JSON.stringify(batch)));
  assert.equal(result.kind, 'ok');
  assert.deepEqual(result.kind === 'ok' && result.value, batch);
});

test('bytes that are not JSON are dead-lettered with the parser error', () => {
  const result = parseRecord(Buffer.from('{not json'));
  assert.equal(result.kind, 'dlq');
  assert.equal(result.kind === 'dlq' && result.reason, 'record is not valid JSON');
  assert.ok(result.kind === 'dlq' && result.error instanceof SyntaxError);
});

test('JSON that is not an event batch is dead-lettered naming the field', () => {
  const result = parseRecord(Buffer.from(JSON.stringify({ ...batch, project_id: 7 })));
  assert.equal(result.kind, 'dlq');
  assert.match(result.kind === 'dlq' ? result.reason : '', /^record does not match the event batch schema: project_id /);
});

test('the step reads the consumed record\'s value', () => {
  const step = createParseStep();
  assert.deepEqual(step(record(JSON.stringify(batch))), { kind: 'ok', value: batch });
  assert.equal(step(record('[]')).kind, 'dlq');
});

test('a record whose events lack what the edge always writes gets the schema, which names the field', () => {
  const noId: Partial<EventBatchRecord['events'][number]> = { ...batch.events[0] };
  delete noId.event_id;
  for (const [events, field] of [[[noId], /events\.0\.event_id /], [[{ ...batch.events[0], ts: 'soon' }], /events\.0\.ts /], [[], /events /]] as const) {
    const result = parseRecord(Buffer.from(JSON.stringify({ ...batch, events })));
    assert.equal(result.kind, 'dlq');
    assert.match(result.kind === 'dlq' ? result.reason : '', field);
  }
});
