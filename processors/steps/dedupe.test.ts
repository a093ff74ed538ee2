import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConsumedRecord, EventBatchRecord } from '@strix/contracts';
import { createDedupeStep, EventDeduper } from './dedupe.ts';
import { StepOutcomes } from './runner.ts';

const HOUR = 60 * 60 * 1000;
const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);

/** A deduper on a hand-driven clock. */
function setup(options: { windowMs?: number; maxKeys?: number } = {}) {
  const clock = { now: T0 };
  const deduper = new EventDeduper({ ...options, now: () => clock.now });
  return { clock, deduper };
}

describe('EventDeduper.keyOf', () => {
  test('differs when any part differs', () => {
    const key = EventDeduper.keyOf('p1', 'a1', 'e1');
    assert.notEqual(key, EventDeduper.keyOf('p2', 'a1', 'e1'));
    assert.notEqual(key, EventDeduper.keyOf('p1', 'a2', 'e1'));
    assert.notEqual(key, EventDeduper.keyOf('p1', 'a1', 'e2'));
    assert.equal(key, EventDeduper.keyOf('p1', 'a1', 'e1'));
  });

  test('parts cannot run into each other', () => {
    assert.notEqual(EventDeduper.keyOf('p', 'ab', 'c'), EventDeduper.keyOf('p', 'a', 'bc'));
  });
});

describe('EventDeduper', () => {
  test('detects a duplicate inside the window', () => {
    const { clock, deduper } = setup();
    assert.equal(deduper.checkAndAdd('k', clock.now), false);
    assert.equal(deduper.checkAndAdd('k', clock.now), true);
    clock.now += 47 * HOUR;
    assert.equal(deduper.checkAndAdd('k', clock.now), true);
    assert.equal(deduper.checkAndAdd('other', clock.now), false);
  });

  test('seen only checks; it does not record', () => {
    const { clock, deduper } = setup();
    assert.equal(deduper.seen('k'), false);
    assert.equal(deduper.seen('k'), false);
    deduper.add('k', clock.now);
    assert.equal(deduper.seen('k'), true);
  });

  test('remembers a key for the whole window and forgets it within an hour after', () => {
    const { clock, deduper } = setup({ windowMs: 48 * HOUR });
    const t = T0 + 30 * 60 * 1000; // half past, so bucket rounding matters
    clock.now = t;
    deduper.add('k', t);
    clock.now = t + 48 * HOUR - 1;
    assert.equal(deduper.seen('k'), true);
    clock.now = t + 49 * HOUR;
    assert.equal(deduper.seen('k'), false);
    assert.equal(deduper.checkAndAdd('k', clock.now), false);
  });

  test('a repeat sighting restarts the window', () => {
    const { clock, deduper } = setup({ windowMs: 48 * HOUR });
    deduper.add('k', clock.now);
    clock.now += 40 * HOUR;
    assert.equal(deduper.checkAndAdd('k', clock.now), true);
    clock.now += 40 * HOUR;
    assert.equal(deduper.seen('k'), true);
    assert.deepEqual(deduper.stats(), { keys: 1, evictedKeys: 0 });
  });

  test('keys expire by the hour as the clock moves', () => {
    const { clock, deduper } = setup({ windowMs: 3 * HOUR });
    const at = (ms: number) => (clock.now = ms);
    deduper.add('a', at(T0));
    deduper.add('b', at(T0 + 1));
    deduper.add('c', at(T0 + HOUR));
    deduper.add('d', at(T0 + 2 * HOUR));
    assert.deepEqual(deduper.stats(), { keys: 4, evictedKeys: 0 });
    clock.now = T0 + 4 * HOUR;
    assert.deepEqual(deduper.stats(), { keys: 2, evictedKeys: 0 });
    assert.deepEqual(['a', 'b', 'c', 'd'].map((k) => deduper.seen(k)), [false, false, true, true]);
    clock.now = T0 + 10 * HOUR;
    assert.deepEqual(deduper.stats(), { keys: 0, evictedKeys: 0 });
  });

  test('a key recorded out of time order is forgotten by its own hour', () => {
    const { clock, deduper } = setup({ windowMs: 3 * HOUR });
    deduper.add('new', T0);
    deduper.add('old', T0 - 2 * HOUR);
    clock.now = T0 + 2 * HOUR;
    assert.deepEqual([deduper.seen('new'), deduper.seen('old')], [true, false]);
    assert.equal(deduper.checkAndAdd('old', clock.now), false);
    assert.equal(deduper.seen('old'), true);
  });

  test('seeding accepts past timestamps inside the window and ignores older ones', () => {
    const { clock, deduper } = setup({ windowMs: 48 * HOUR });
    deduper.add('recent', T0 - 47 * HOUR);
    deduper.add('too-old', T0 - 48 * HOUR);
    deduper.add('ancient', T0 - 100 * HOUR);
    assert.equal(deduper.seen('recent'), true);
    assert.equal(deduper.seen('too-old'), false);
    assert.equal(deduper.seen('ancient'), false);
    // A seeded key expires by its own timestamp, not by when it was seeded.
    clock.now = T0 + 2 * HOUR;
    assert.equal(deduper.seen('recent'), false);
  });

  test('a timestamp ahead of the clock is treated as now', () => {
    const { clock, deduper } = setup({ windowMs: 2 * HOUR });
    deduper.add('k', T0 + 100 * HOUR);
    clock.now = T0 + 3 * HOUR;
    assert.equal(deduper.seen('k'), false);
  });

  test('over the cap, the earliest recorded keys go first and are counted', () => {
    const { clock, deduper } = setup({ maxKeys: 4 });
    const at = (ms: number) => (clock.now = ms);
    deduper.add('h0-a', at(T0));
    deduper.add('h0-b', at(T0));
    deduper.add('h1-a', at(T0 + HOUR));
    deduper.add('h2-a', at(T0 + 2 * HOUR));
    assert.deepEqual(deduper.stats(), { keys: 4, evictedKeys: 0 });

    assert.equal(deduper.checkAndAdd('h2-b', clock.now), false);
    assert.deepEqual(deduper.stats(), { keys: 4, evictedKeys: 1 });
    assert.deepEqual(
      ['h0-a', 'h0-b', 'h1-a', 'h2-a', 'h2-b'].map((k) => deduper.seen(k)),
      [false, true, true, true, true],
    );
  });

  test('a key seen again is not evicted with its earlier sighting', () => {
    const { clock, deduper } = setup({ maxKeys: 3 });
    const at = (ms: number) => (clock.now = ms);
    deduper.add('moved', at(T0));
    deduper.add('old', at(T0));
    assert.equal(deduper.checkAndAdd('moved', at(T0 + HOUR)), true);
    deduper.add('new-a', at(T0 + HOUR));
    deduper.add('new-b', at(T0 + HOUR));
    assert.deepEqual(deduper.stats(), { keys: 3, evictedKeys: 1 });
    assert.deepEqual(['moved', 'old', 'new-a', 'new-b'].map((k) => deduper.seen(k)), [true, false, true, true]);
  });

  test('over the cap within one hour, the earliest keys of that hour go', () => {
    const { clock, deduper } = setup({ maxKeys: 3 });
    for (const key of ['a', 'b', 'c', 'd', 'e']) deduper.add(key, clock.now);
    assert.deepEqual(deduper.stats(), { keys: 3, evictedKeys: 2 });
    assert.deepEqual(['a', 'b', 'c', 'd', 'e'].map((k) => deduper.seen(k)), [false, false, true, true, true]);
  });

  test('a large cap evicts in batches of 1 %', () => {
    const { clock, deduper } = setup({ maxKeys: 1000 });
    for (let i = 0; i <= 1000; i += 1) deduper.add(`k${i}`, clock.now);
    assert.deepEqual(deduper.stats(), { keys: 990, evictedKeys: 11 });
    assert.equal(deduper.seen('k10'), false);
    assert.equal(deduper.seen('k11'), true);
  });

  test('the same event id of two projects or two apps is two keys', () => {
    const { clock, deduper } = setup();
    deduper.add(EventDeduper.keyOf('p1', 'a1', 'e1'), clock.now);
    assert.equal(deduper.seen(EventDeduper.keyOf('p1', 'a1', 'e1')), true);
    assert.equal(deduper.seen(EventDeduper.keyOf('p2', 'a1', 'e1')), false);
    assert.equal(deduper.seen(EventDeduper.keyOf('p1', 'a2', 'e1')), false);
    assert.equal(deduper.seen(EventDeduper.keyOf('p1', 'a1', 'e1x')), false);
  });

  /**
   * Against a plain model of the same rules: keys in the order of their latest sighting; the head goes
   * when its hour is out of the window, and past the cap until 1 % under it.
   */
  const cases = [
    { name: 'without reaching the cap', maxKeys: 1_000_000, ids: 2_000, tick: () => (random(100) === 0 ? random(HOUR) : 0) },
    { name: 'at a small cap', maxKeys: 300, ids: 2_000, tick: () => (random(100) === 0 ? random(HOUR) : 0) },
    // Keys seen again in later hours leave superseded entries, which fill the ring and are compacted away.
    { name: 'at a cap near the ring size, keys seen again hours later', maxKeys: 1_000, ids: 200, tick: () => random(HOUR / 200) },
  ];
  let seed = 12345;
  const random = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n);
  for (const { name, maxKeys, ids, tick } of cases) {
    test(`agrees with a model over random sightings, ${name}`, () => {
      const windowMs = 6 * HOUR;
      const { clock, deduper } = setup({ windowMs, maxKeys });
      const model = new Map<string, number>();
      let evicted = 0;
      const firstLive = () => Math.floor((clock.now - windowMs) / HOUR);
      const expire = () => {
        for (const [key, hour] of model) {
          if (hour >= firstLive()) break;
          model.delete(key);
        }
      };
      for (let step = 0; step < 40_000; step += 1) {
        clock.now += tick();
        expire();
        const key = EventDeduper.keyOf(`p${random(3)}`, `a${random(2)}`, `e${random(ids)}`);
        if (random(4) === 0) {
          assert.equal(deduper.seen(key), model.has(key), `seen ${key} at step ${step}`);
          continue;
        }
        const hour = Math.floor(clock.now / HOUR);
        assert.equal(deduper.checkAndAdd(key, clock.now), model.has(key), `checkAndAdd ${key} at step ${step}`);
        const known = model.get(key);
        if (known === undefined || known < hour) {
          model.delete(key);
          model.set(key, hour);
        }
        if (model.size > maxKeys) {
          for (const k of model.keys()) {
            if (model.size <= maxKeys - Math.floor(maxKeys / 100)) break;
            model.delete(k);
            evicted += 1;
          }
        }
      }
      assert.deepEqual(deduper.stats(), { keys: model.size, evictedKeys: evicted });
      for (const key of model.keys()) assert.equal(deduper.seen(key), true, key);
    });
  }

  test('rejects a configuration that could never hold a key', () => {
    assert.throws(() => new EventDeduper({ maxKeys: 0 }), RangeError);
    assert.throws(() => new EventDeduper({ windowMs: 0 }), RangeError);
  });
});

describe('createDedupeStep', () => {
  const batch: EventBatchRecord = { v: 1, project_id: 'p1', app_id: 'a1', retention_days: 30, received_at: T0, events: [] };
  const record: ConsumedRecord = { topic: 'events', partition: 0, offset: 0, key: 'p1', value: Buffer.alloc(0) };
  const event = (event_id: string) => ({ event_id, ts: T0, level: 'info' as const, message: 'm', is_dev: false });

  test('lets a new event through and notes its key with the batch\'s received_at, without telling the deduper yet', () => {
    const { deduper } = setup();
    const outcomes = new StepOutcomes();
    const e1 = event('e1');
    assert.deepEqual(createDedupeStep({ deduper })(e1, { record, batch: { ...batch }, outcomes }), { kind: 'ok', value: e1 });
    assert.equal(outcomes.newEvents.size, 1);
    assert.equal(deduper.seen(EventDeduper.keyOf('p1', 'a1', 'e1')), false, 'learnt only when the batch is committed');
    const seenAt: number[] = [];
    outcomes.newEvents.forEach((_tenant, _p0, _p1, _p2, atMs) => seenAt.push(atMs));
    assert.deepEqual(seenAt, [T0], 'with the batch’s received_at');
    deduper.learn(outcomes.newEvents);
    assert.equal(deduper.seen(EventDeduper.keyOf('p1', 'a1', 'e1')), true);
    assert.equal(deduper.seen(EventDeduper.keyOf('p1', 'a2', 'e1')), false, 'another app’s event of that id is another key');
  });

  test('drops, as a duplicate, an event the deduper has seen and one repeated in the same batch', () => {
    const { clock, deduper } = setup();
    deduper.add(EventDeduper.keyOf('p1', 'a1', 'stored'), clock.now);
    const step = createDedupeStep({ deduper });
    const source = { record, batch: { ...batch }, outcomes: new StepOutcomes() };
    assert.deepEqual(step(event('stored'), source), { kind: 'drop', reason: 'duplicate' });
    assert.equal(step(event('e1'), source).kind, 'ok');
    assert.deepEqual(step(event('e1'), source), { kind: 'drop', reason: 'duplicate' });
    assert.equal(step(event('e1'), { ...source, batch: { ...batch, app_id: 'a2' } }).kind, 'ok', 'another app\'s event of the same id');
  });

  test('drops an event of the batch being stored; the keys of a large batch are all kept and learnt', () => {
    const { deduper } = setup();
    const storing = new StepOutcomes();
    const ids = Array.from({ length: 5_000 }, (_, i) => `e${i}`);
    for (const id of ids) assert.equal(createDedupeStep({ deduper })(event(id), { record, batch: { ...batch }, outcomes: storing }).kind, 'ok');
    assert.equal(storing.newEvents.size, ids.length);
    const next = createDedupeStep({ deduper, storing: () => storing.newEvents });
    const outcomes = new StepOutcomes();
    const kinds = ['e0', 'e4999', 'e2500', 'e5000'].map((id) => next(event(id), { record, batch: { ...batch }, outcomes }).kind);
    assert.deepEqual(kinds, ['drop', 'drop', 'drop', 'ok']);
    deduper.learn(storing.newEvents);
    assert.ok(ids.every((id) => deduper.seen(EventDeduper.keyOf('p1', 'a1', id))), 'every key of the stored batch learnt');
    assert.equal(deduper.seen(EventDeduper.keyOf('p1', 'a1', 'e5000')), false, 'the next batch’s key waits for its commit');
  });

  test('addEvent and seenEvent name the key as keyOf does', () => {
    const { clock, deduper } = setup();
    deduper.addEvent('p1', 'a1', 'x', clock.now);
    deduper.add(EventDeduper.keyOf('p2', 'a1', 'y'), clock.now);
    assert.deepEqual(
      [deduper.seen(EventDeduper.keyOf('p1', 'a1', 'x')), deduper.seenEvent('p2', 'a1', 'y'), deduper.seenEvent('p1', 'a1', 'y'), deduper.seenEvent('p2', 'a2', 'y')],
      [true, true, false, false],
    );
    assert.equal(deduper.stats().keys, 2);
  });
});
