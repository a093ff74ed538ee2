import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { silentObserver, Topics, type ConsumedRecord, type Log, type LogConsumer, type LogRecord, type Topic, type Warehouse } from '@strix/contracts';
import { listDeadLetters } from '@strix/warehouse';
import { eventRow } from '@strix/testkit/rows';
import { openStore } from '@strix/testkit/stores';
import { DeadLetterSink, recordLetter, rowLetter } from '../dead-letter-sink.ts';
import { createDeadLetterStep } from './dead-letters.ts';
import { StepOutcomes } from './runner.ts';
import type { BatchInFlight } from './step.ts';

const record = (offset: number, value: string): ConsumedRecord => ({ topic: 'events', partition: 2, offset, key: 'p1', value: Buffer.from(value) });

/** A log that keeps what is appended to it: the sink only appends. */
function appendingLog(): Log & { appends: { topic: Topic; records: readonly LogRecord[] }[] } {
  const appends: { topic: Topic; records: readonly LogRecord[] }[] = [];
  return {
    appends,
    append: async (topic, records) => void appends.push({ topic, records }),
    consumer: () => assert.fail('the sink read the log'),
    pendingBytes: () => 0,
    close: async () => undefined,
  };
}

/** The batch as the dead-letter step sees it: an unreadable record and a row the warehouse refused. */
function batchWithLetters(token: string): BatchInFlight {
  const outcomes = new StepOutcomes();
  outcomes.letters.push(recordLetter(record(40, '{"project_id":"p1","app_id":"a1","v":2}'), 'record does not match the event batch schema: v'));
  outcomes.letters.push(rowLetter(record(41, '{}'), eventRow({ project_id: 'p1', app_id: 'a1', event_id: 'poison' }), 'warehouse refused the event: bad surrogate'));
  return { consumer: undefined as unknown as LogConsumer, records: [record(40, ''), record(41, '')], token, rows: [], outcomes };
}

describe('createDeadLetterStep with the DeadLetterSink on chDB', () => {
  let wh: Warehouse;
  let close: () => Promise<void>;
  before(async () => ({ wh, close } = await openStore('p1')));
  after(async () => close());
  beforeEach(async () => {
    await wh.command('TRUNCATE TABLE dead_letters');
  });

  test('parks each letter once on the dlq topic and in dead_letters, with its reason, and counts it', async () => {
    const log = appendingLog();
    const counted: [string, number][] = [];
    const observer = { ...silentObserver, deadLettered: (reason: string, n: number) => void counted.push([reason, n]) };
    const step = createDeadLetterStep({ deadLetters: new DeadLetterSink({ log, warehouse: wh, observer }) });

    assert.deepEqual(await step(batchWithLetters('events:2:40-41')), []);

    assert.deepEqual(log.appends.map((a) => [a.topic, a.records.length]), [[Topics.dlq, 2]], 'one append of both letters');
    const onTopic = log.appends[0]?.records.map((r) => JSON.parse(r.value.toString()) as Record<string, unknown>) ?? [];
    assert.deepEqual(
      onTopic.map(({ reason, topic, partition, offset, project_id, event_id }) => ({ reason, topic, partition, offset, project_id, event_id })),
      [
        { reason: 'record does not match the event batch schema: v', topic: 'events', partition: 2, offset: 40, project_id: 'p1', event_id: undefined },
        { reason: 'warehouse refused the event: bad surrogate', topic: 'events', partition: 2, offset: 41, project_id: 'p1', event_id: 'poison' },
      ],
    );

    const inTable = await listDeadLetters(wh, 'p1', 10);
    assert.deepEqual(
      inTable.map(({ reason, app_id, event_id, log_offset }) => ({ reason, app_id, event_id, log_offset })),
      [
        { reason: 'record does not match the event batch schema: v', app_id: 'a1', event_id: '', log_offset: 40 },
        { reason: 'warehouse refused the event: bad surrogate', app_id: 'a1', event_id: 'poison', log_offset: 41 },
      ],
    );
    const refusedRow = JSON.parse(Buffer.from(inTable[1]?.payload_base64 ?? '', 'base64').toString()) as { event_id: string };
    assert.equal(refusedRow.event_id, 'poison', 'a refused row\'s letter carries the row');

    assert.deepEqual(counted, [['record does not match the event batch schema', 1], ['warehouse refused the event', 1]]);
  });

  test('a batch redone under the same token leaves one copy of each letter in the table', async () => {
    const step = createDeadLetterStep({ deadLetters: new DeadLetterSink({ log: appendingLog(), warehouse: wh, observer: silentObserver }) });
    await step(batchWithLetters('events:2:40-41'));
    await step(batchWithLetters('events:2:40-41'));
    assert.deepEqual((await listDeadLetters(wh, 'p1', 10)).map((l) => l.log_offset), [40, 41]);
  });

  test('a batch without letters parks nothing', async () => {
    const log = appendingLog();
    const step = createDeadLetterStep({ deadLetters: new DeadLetterSink({ log, warehouse: wh, observer: silentObserver }) });
    const empty: BatchInFlight = { ...batchWithLetters('events:2:50-51'), outcomes: new StepOutcomes() };
    assert.deepEqual(await step(empty), []);
    assert.deepEqual(log.appends, []);
    assert.deepEqual(await listDeadLetters(wh, 'p1', 10), []);
  });
});
