import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { silentObserver, type ConsumedRecord, type EventBatchRecord, type LogConsumer, type LogEvent } from '@strix/contracts';
import { eventRow } from '@strix/testkit/rows';
import { recordLetter } from '../dead-letter-sink.ts';
import { createDedupeStep, EventDeduper } from './dedupe.ts';
import { createCommitOffsetsStep, createMarkInFlightStep, IN_FLIGHT } from './offsets.ts';
import { StepOutcomes } from './runner.ts';
import { drop, type BatchInFlight } from './step.ts';

const record = (offset: number): ConsumedRecord => ({ topic: 'events', partition: 3, offset, key: 'p1', value: Buffer.from('{}') });
const records = [record(10), record(11), record(12)];
const event = (event_id: string): LogEvent => ({ event_id, ts: Date.now(), level: 'info', message: 'opened', is_dev: false });
const batchRecord = (): EventBatchRecord => ({ v: 1, project_id: 'p1', app_id: 'a1', retention_days: 30, received_at: Date.now(), events: [] });

/** A consumer that only notes its commits: the steps never poll. */
function recordingConsumer(): { consumer: LogConsumer; commits: [number, number, string | undefined][] } {
  const commits: [number, number, string | undefined][] = [];
  const consumer = {
    commit: async (partition: number, nextOffset: number, metadata?: string) => {
      commits.push([partition, nextOffset, metadata]);
    },
  } as unknown as LogConsumer;
  return { consumer, commits };
}

function batch(consumer: LogConsumer, fields: Partial<BatchInFlight> = {}): BatchInFlight {
  return { consumer, records, token: 'events:3:10-12', rows: [], outcomes: new StepOutcomes(), ...fields };
}

describe('createMarkInFlightStep', () => {
  test('with rows to write, commits inflight:<first>-<last> at the first record\'s offset', async () => {
    const { consumer, commits } = recordingConsumer();
    const refused = await createMarkInFlightStep()(batch(consumer, { rows: [eventRow({ project_id: 'p1' })] }));
    assert.deepEqual(refused, []);
    assert.deepEqual(commits, [[3, 10, 'inflight:10-12']]);
    assert.deepEqual(IN_FLIGHT.exec(commits[0]?.[2] ?? '')?.slice(1), ['10', '12'], 'the mark reads back as the batch\'s range');
  });

  test('with only dead letters to park, still marks the batch', async () => {
    const { consumer, commits } = recordingConsumer();
    const outcomes = new StepOutcomes();
    outcomes.letters.push(recordLetter(record(11), 'record is not valid JSON'));
    await createMarkInFlightStep()(batch(consumer, { outcomes }));
    assert.deepEqual(commits, [[3, 10, 'inflight:10-12']]);
  });

  test('a batch with nothing to write (every event a duplicate) commits nothing', async () => {
    const { consumer, commits } = recordingConsumer();
    const outcomes = new StepOutcomes();
    outcomes.settle(drop('duplicate'), () => assert.fail('a letter for a drop'));
    assert.deepEqual(await createMarkInFlightStep()(batch(consumer, { outcomes })), []);
    assert.deepEqual(commits, []);
  });

  test('a one-record batch is marked as a range of one', async () => {
    const { consumer, commits } = recordingConsumer();
    await createMarkInFlightStep()(batch(consumer, { records: [record(7)], rows: [eventRow({ project_id: 'p1' })] }));
    assert.deepEqual(commits, [[3, 7, 'inflight:7-7']]);
  });
});

describe('createCommitOffsetsStep', () => {
  test('commits the offset past the batch, with no in-flight mark', async () => {
    const { consumer, commits } = recordingConsumer();
    const step = createCommitOffsetsStep({ deduper: new EventDeduper(), observer: silentObserver });
    assert.deepEqual(await step(batch(consumer)), []);
    assert.deepEqual(commits, [[3, 13, undefined]]);
  });

  test('the deduper learns the batch\'s new events, so a later copy of one is dropped as a duplicate', async () => {
    const { consumer } = recordingConsumer();
    const deduper = new EventDeduper();
    const dedupe = createDedupeStep({ deduper });
    const source = { record: record(10), batch: batchRecord(), outcomes: new StepOutcomes() };
    assert.equal(dedupe(event('e1'), source).kind, 'ok');
    assert.equal(dedupe(event('e2'), source).kind, 'ok');
    const key = EventDeduper.keyOf('p1', 'a1', 'e1');
    assert.equal(deduper.seen(key), false, 'not learnt before the commit');

    await createCommitOffsetsStep({ deduper, observer: silentObserver })(batch(consumer, { outcomes: source.outcomes }));
    assert.equal(deduper.seen(key), true);
    assert.equal(deduper.seen(EventDeduper.keyOf('p1', 'a1', 'e2')), true);

    const later = { record: record(20), batch: batchRecord(), outcomes: new StepOutcomes() };
    assert.deepEqual(dedupe(event('e1'), later), { kind: 'drop', reason: 'duplicate' });
    assert.equal(dedupe(event('e3'), later).kind, 'ok');
  });

  test('reports the batch\'s drops to the observer under their metric', async () => {
    const { consumer } = recordingConsumer();
    const outcomes = new StepOutcomes();
    for (let i = 0; i < 3; i++) outcomes.settle(drop('duplicate'), () => assert.fail('a letter for a drop'));
    const dropped: number[] = [];
    const observer = { ...silentObserver, duplicatesDropped: (n: number) => void dropped.push(n) };
    await createCommitOffsetsStep({ deduper: new EventDeduper(), observer })(batch(consumer, { outcomes }));
    assert.deepEqual(dropped, [3]);
  });
});
