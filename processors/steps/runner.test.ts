import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { silentObserver, type ConsumedRecord, type EventBatchRecord, type LogEvent } from '@strix/contracts';
import { eventRow } from '@strix/testkit/rows';
import { createRecordSteps } from '../event-steps.ts';
import { EventDeduper } from './dedupe.ts';
import { EventChain, runBatchSteps, runRecordSteps, StepOutcomes } from './runner.ts';
import { dlq, drop, noRowRefused, ok, type BatchInFlight, type EventSource, type EventStep } from './step.ts';

const record = (offset: number, value: string | object): ConsumedRecord => ({
  topic: 'events',
  partition: 0,
  offset,
  key: 'p1',
  value: Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)),
});
const event = (event_id: string): LogEvent => ({ event_id, ts: 1_700_000_000_000, level: 'info', message: 'opened', is_dev: false });
const batchOf = (...events: LogEvent[]): EventBatchRecord => ({ v: 1, project_id: 'p1', app_id: 'a1', retention_days: 30, received_at: 1_700_000_000_001, events });
const source = (): EventSource => ({ record: record(0, '{}'), batch: batchOf(), outcomes: new StepOutcomes() });

describe('StepOutcomes', () => {
  test('a drop is counted under its reason and makes no letter', () => {
    const outcomes = new StepOutcomes();
    outcomes.settle(drop('duplicate'), () => assert.fail('a letter for a drop'));
    outcomes.settle(drop('duplicate'), () => assert.fail('a letter for a drop'));
    assert.deepEqual([...outcomes.drops], [['duplicate', 2]]);
    assert.deepEqual(outcomes.letters, []);
  });

  test('a dlq becomes the letter made for it, with its reason', () => {
    const outcomes = new StepOutcomes();
    const rec = record(4, 'x');
    outcomes.settle(dlq('record is not valid JSON'), (reason) => ({ record: rec, reason, projectId: '', appId: '', eventId: '', payload: rec.value }));
    assert.deepEqual(outcomes.letters.map((l) => [l.reason, l.record.offset]), [['record is not valid JSON', 4]]);
    assert.deepEqual([...outcomes.drops], []);
  });

  test('drops are reported to the observer under their metric', () => {
    const outcomes = new StepOutcomes();
    for (let i = 0; i < 3; i++) outcomes.settle(drop('duplicate'), () => assert.fail());
    const reported: number[] = [];
    outcomes.reportDrops({ ...silentObserver, duplicatesDropped: (n) => reported.push(n) });
    assert.deepEqual(reported, [3]);
  });
});

describe('EventChain', () => {
  const calls: string[] = [];
  const step = <I, O>(name: string, f: (input: I) => ReturnType<EventStep<I, O>>): EventStep<I, O> => (input) => {
    calls.push(name);
    return f(input);
  };

  test('each step takes the previous ok value, in the declared order', () => {
    calls.length = 0;
    const chain = EventChain.of(step('length', (s: string) => ok(s.length))).then(step('double', (n: number) => ok(n * 2)));
    assert.deepEqual(chain.run('abc', source()), { kind: 'ok', value: 6 });
    assert.deepEqual(calls, ['length', 'double']);
    assert.equal(chain.length, 2);
  });

  test('the first result that is not ok ends the run and is the event\'s result', () => {
    calls.length = 0;
    const chain = EventChain.of(step('first', (s: string) => (s === 'dup' ? drop('duplicate') : s === 'bad' ? dlq('bad event') : ok(s))))
      .then(step('second', (s: string) => ok(s.toUpperCase())));
    assert.deepEqual(chain.run('dup', source()), { kind: 'drop', reason: 'duplicate' });
    assert.deepEqual(chain.run('bad', source()), { kind: 'dlq', reason: 'bad event' });
    assert.deepEqual(calls, ['first', 'first'], 'the later step never ran');
  });
});

describe('runRecordSteps with the declared steps', () => {
  test('rows come out in record and event order; a duplicate is dropped, an unreadable record dead-lettered', () => {
    // The deduper's clock is the batches' received_at, so what it learns is inside its window.
    const deduper = new EventDeduper({ now: () => 1_700_000_000_001 });
    deduper.add(EventDeduper.keyOf('p1', 'a1', 'stored'), 1_700_000_000_001);
    const outcomes = new StepOutcomes();
    const records = [
      record(0, batchOf(event('e1'), event('stored'), event('e2'))),
      record(1, '{"project_id":"p9","app_id":"a9","v":2}'),
      record(2, batchOf(event('e2'), event('e3'))),
    ];
    const rows = runRecordSteps(createRecordSteps({ deduper }), records, outcomes);
    assert.deepEqual(rows.map((r) => [r.event_id, r.log_offset]), [['e1', 0], ['e2', 0], ['e3', 2]]);
    assert.deepEqual([...outcomes.drops], [['duplicate', 2]]);
    assert.deepEqual(outcomes.letters.map((l) => [l.record.offset, l.projectId, l.appId, l.eventId]), [[1, 'p9', 'a9', '']]);
    assert.match(outcomes.letters[0]?.reason ?? '', /^record does not match the event batch schema: v /);
    assert.equal(outcomes.newEvents.size, 3);
    deduper.learn(outcomes.newEvents);
    assert.deepEqual(['e1', 'e2', 'e3', 'e4'].map((id) => deduper.seen(EventDeduper.keyOf('p1', 'a1', id))), [true, true, true, false]);
  });

  test('an event whose values break a step (a record the edge did not write) is parked alone, with the error', () => {
    const outcomes = new StepOutcomes();
    // Trusted by version, this event's attributes are not the object the edge would have written.
    const odd = { ...event('odd'), attributes: 'not an object' } as unknown as LogEvent;
    const breaks: EventStep<LogEvent, LogEvent> = (e) => {
      if (typeof e.attributes === 'string') throw new TypeError('attributes is not an object');
      return ok(e);
    };
    const steps = { parse: createRecordSteps({ deduper: new EventDeduper() }).parse, event: EventChain.of(breaks).then((e) => ok(eventRow({ project_id: 'p1', event_id: e.event_id }))) };
    const rows = runRecordSteps(steps, [record(6, batchOf(odd, event('fine')))], outcomes);
    assert.deepEqual(rows.map((r) => r.event_id), ['fine']);
    assert.deepEqual(outcomes.letters.map((l) => [l.eventId, l.reason]), [['odd', 'event could not be processed: attributes is not an object']]);
  });

  test('an event step\'s dlq parks that event alone, as it arrived', () => {
    const outcomes = new StepOutcomes();
    const refuse: EventStep<LogEvent, LogEvent> = (e) => (e.event_id === 'bad' ? dlq('event refused') : ok(e));
    const steps = { parse: createRecordSteps({ deduper: new EventDeduper() }).parse, event: EventChain.of(refuse).then((e) => ok(eventRow({ project_id: 'p1', event_id: e.event_id }))) };
    const rows = runRecordSteps(steps, [record(5, batchOf(event('bad'), event('fine')))], outcomes);
    assert.deepEqual(rows.map((r) => r.event_id), ['fine']);
    const [letter] = outcomes.letters;
    assert.deepEqual([letter?.reason, letter?.projectId, letter?.eventId, letter?.record.offset], ['event refused', 'p1', 'bad', 5]);
    assert.deepEqual(JSON.parse(letter?.payload.toString() ?? ''), event('bad'));
  });
});

describe('runBatchSteps', () => {
  test('the steps run in order, and a refused row is a dead letter before the next step runs', async () => {
    const seen: string[] = [];
    const good = eventRow({ project_id: 'p1', event_id: 'good', log_offset: 8 });
    const poison = eventRow({ project_id: 'p1', app_id: 'a1', event_id: 'poison', log_offset: 9 });
    const batch: BatchInFlight = {
      consumer: undefined as never,
      records: [record(8, '{}'), record(9, '{}')],
      token: 'events:0:8-9',
      rows: [good, poison],
      outcomes: new StepOutcomes(),
    };
    await runBatchSteps(
      [
        async () => {
          seen.push('insert');
          return [{ row: poison, result: dlq('warehouse refused the event: bad surrogate') }];
        },
        async ({ outcomes }) => {
          seen.push(`park ${outcomes.letters.length}`);
          return noRowRefused;
        },
      ],
      batch,
    );
    assert.deepEqual(seen, ['insert', 'park 1']);
    const [letter] = batch.outcomes.letters;
    assert.deepEqual([letter?.reason, letter?.record.offset, letter?.appId, letter?.eventId], ['warehouse refused the event: bad surrogate', 9, 'a1', 'poison']);
    assert.equal((JSON.parse(letter?.payload.toString() ?? '') as { event_id: string }).event_id, 'poison', 'the letter carries the row');
  });
});
