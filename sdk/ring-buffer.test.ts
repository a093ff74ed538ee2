import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RingBuffer } from './ring-buffer.ts';

describe('RingBuffer', () => {
  it('evicts the oldest item when full and says how many went', () => {
    const ring = new RingBuffer<number>(3);
    assert.deepEqual([1, 2, 3].map((n) => ring.push(n)), [0, 0, 0]);
    assert.equal(ring.push(4), 1);
    assert.equal(ring.push(5), 1);
    assert.deepEqual(ring.toArray(), [3, 4, 5]);
    assert.equal(ring.size, 3);
  });

  it('never holds more than its capacity, however much is pushed', () => {
    const ring = new RingBuffer<number>(500);
    let evicted = 0;
    for (let i = 0; i < 10_000; i++) evicted += ring.push(i);
    assert.equal(ring.size, 500);
    assert.equal(evicted, 9_500);
    assert.deepEqual(ring.toArray().slice(0, 2), [9_500, 9_501]);
  });

  it('shifts the oldest first, across the wrap', () => {
    const ring = new RingBuffer<number>(3);
    for (const n of [1, 2, 3, 4]) ring.push(n);
    assert.deepEqual(ring.shift(2), [2, 3]);
    ring.push(5);
    ring.push(6);
    assert.deepEqual(ring.shift(10), [4, 5, 6]);
    assert.equal(ring.size, 0);
    assert.deepEqual(ring.shift(1), []);
  });

  it('puts a batch back in front, keeping the newest items when they do not all fit', () => {
    const ring = new RingBuffer<number>(4);
    for (const n of [1, 2, 3]) ring.push(n);
    const batch = ring.shift(2);
    ring.push(4);
    assert.equal(ring.unshift(batch), 0);
    assert.deepEqual(ring.toArray(), [1, 2, 3, 4]);
    const again = ring.shift(2);
    ring.push(5);
    ring.push(6);
    assert.equal(ring.unshift(again), 2, 'full: the returned batch, the oldest, goes');
    assert.deepEqual(ring.toArray(), [3, 4, 5, 6]);
  });

  it('refuses a capacity that is not a positive integer', () => {
    assert.throws(() => new RingBuffer(0), RangeError);
    assert.throws(() => new RingBuffer(1.5), RangeError);
  });
});
