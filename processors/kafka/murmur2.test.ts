import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { murmur2 as libraryMurmur2 } from '@platformatic/kafka';
import { kafkaPartitionOf, murmur2 } from './murmur2.ts';

test("murmur2 equals the Kafka client library's for keys of every length and content", () => {
  const keys = [Buffer.alloc(0), Buffer.from('p1:u1'), Buffer.from('proj_0123456789:ユーザー🙂'), Buffer.from([0xff, 0xff, 0xff, 0xff, 0x80])];
  for (let length = 0; length < 70; length++) for (let n = 0; n < 40; n++) keys.push(randomBytes(length));
  for (const key of keys) assert.equal(murmur2(key), libraryMurmur2(key), `key ${key.toString('hex')}`);
});

test("a key's partition is the Java client's (known values of Kafka's own partitioner tests)", () => {
  // Kafka's UtilsTest: murmur2 of "21" is -973932308 and of "foobar" is -790332482.
  assert.equal(murmur2(Buffer.from('21')), -973932308);
  assert.equal(murmur2(Buffer.from('foobar')), -790332482);
  assert.equal(kafkaPartitionOf(Buffer.from('foobar'), 6), (-790332482 & 0x7fffffff) % 6);
});
