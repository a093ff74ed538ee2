import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Topics, type ConsumedRecord } from '@strix/contracts';
import { PartitionBatches } from './partition-batches.ts';

function records(partition: number, offsets: number[]): ConsumedRecord[] {
  return offsets.map((offset) => ({ topic: Topics.events, partition, offset, key: 'k', value: Buffer.from(String(offset)) }));
}

const offsets = (batch: ConsumedRecord[] | undefined) => batch?.map((r) => `${r.partition}:${r.offset}`);
const roomy = { maxRecords: 1000, maxBytes: 1 << 20 };

test('one partition at a time, the one waiting longest first; records of unadopted partitions are dropped', () => {
  const batches = new PartitionBatches();
  assert.deepEqual(batches.reconcile([0, 1]), [0, 1]);
  batches.adopt(0);
  batches.adopt(1);
  batches.add([...records(1, [2]), ...records(0, [5, 6]), ...records(2, [9])]);
  assert.equal(batches.bytes, 3);
  assert.deepEqual(offsets(batches.take(roomy)), ['1:2']);
  batches.add(records(1, [3]));
  assert.deepEqual(offsets(batches.take(roomy)), ['0:5', '0:6'], 'partition 0 has waited longer than the new record of 1');
  assert.deepEqual(offsets(batches.take(roomy)), ['1:3']);
  assert.equal(batches.take(roomy), undefined);
  assert.equal(batches.size, 0);
  assert.equal(batches.bytes, 0);
});

test("a batch stays within the limits (at least one record), and the rest of its partition waits behind the others", () => {
  const batches = new PartitionBatches();
  batches.reconcile([0, 1]);
  batches.adopt(0);
  batches.adopt(1);
  batches.add([...records(0, [10, 11, 12, 13]), ...records(1, [1])]);
  assert.deepEqual(offsets(batches.take({ maxRecords: 3, maxBytes: 1 << 20 })), ['0:10', '0:11', '0:12']);
  assert.deepEqual(offsets(batches.take(roomy)), ['1:1']);
  assert.deepEqual(offsets(batches.take({ maxRecords: 10, maxBytes: 1 })), ['0:13'], 'one record even past maxBytes');
});

test('a replay range waits until complete, then yields exactly that range', () => {
  const batches = new PartitionBatches();
  batches.reconcile([3]);
  batches.adopt(3, { first: 10, last: 12 });
  batches.add(records(3, [10, 11]));
  assert.equal(batches.take(roomy), undefined, 'incomplete range is held');
  batches.add(records(3, [12, 13, 14]));
  assert.deepEqual(offsets(batches.take({ maxRecords: 1, maxBytes: 1 })), ['3:10', '3:11', '3:12'], 'the range whatever the limits');
  assert.deepEqual(offsets(batches.take(roomy)), ['3:13', '3:14'], 'what followed the range is the next batch');
});

test('reconcile forgets revoked partitions and reports only new ones', () => {
  const batches = new PartitionBatches();
  batches.reconcile([0, 1]);
  batches.adopt(0);
  batches.adopt(1);
  batches.add(records(1, [1, 2]));
  assert.deepEqual(batches.reconcile([0, 2]), [2]);
  assert.equal(batches.size, 0, 'the revoked partition’s buffer is gone');
  assert.equal(batches.bytes, 0);
  batches.clear();
  assert.deepEqual(batches.reconcile([0, 2]), [0, 2], 'after clear every partition is adopted again');
});
