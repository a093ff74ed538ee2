import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Topics, type ConsumedRecord } from '@strix/contracts';
import { PartitionBatches } from './partition-batches.ts';

function records(partition: number, offsets: number[]): ConsumedRecord[] {
  return offsets.map((offset) => ({ topic: Topics.events, partition, offset, key: 'k', value: Buffer.from(String(offset)) }));
}

const offsets = (batches: ConsumedRecord[][]) => batches.map((b) => b.map((r) => `${r.partition}:${r.offset}`));

test('one batch per partition; records of unadopted partitions are dropped', () => {
  const batches = new PartitionBatches();
  assert.deepEqual(batches.reconcile([0, 1]), [0, 1]);
  batches.adopt(0);
  batches.adopt(1);
  batches.add([...records(0, [5, 6]), ...records(1, [2]), ...records(2, [9])]);
  assert.deepEqual(offsets(batches.take()), [['0:5', '0:6'], ['1:2']]);
  assert.deepEqual(batches.take(), []);
  assert.equal(batches.size, 0);
});

test('a replay range waits until complete, then yields exactly that range', () => {
  const batches = new PartitionBatches();
  batches.reconcile([3]);
  batches.adopt(3, { first: 10, last: 12 });
  batches.add(records(3, [10, 11]));
  assert.deepEqual(batches.take(), [], 'incomplete range is held');
  batches.add(records(3, [12, 13, 14]));
  assert.deepEqual(offsets(batches.take()), [['3:10', '3:11', '3:12']]);
  assert.deepEqual(offsets(batches.take()), [['3:13', '3:14']], 'what followed the range is the next batch');
});

test('reconcile forgets revoked partitions and reports only new ones', () => {
  const batches = new PartitionBatches();
  batches.reconcile([0, 1]);
  batches.adopt(0);
  batches.adopt(1);
  batches.add(records(1, [1, 2]));
  assert.deepEqual(batches.reconcile([0, 2]), [2]);
  assert.equal(batches.size, 0, 'the revoked partition’s buffer is gone');
  batches.clear();
  assert.deepEqual(batches.reconcile([0, 2]), [0, 2], 'after clear every partition is adopted again');
});
