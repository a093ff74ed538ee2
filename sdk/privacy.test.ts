import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { bucket, hashId, lengthBucket, tier } from './privacy.ts';
import { sha256Hex } from './sha256.ts';

describe('privacy helpers', () => {
  it('hashes like SHA-256 over inputs of every padding length and of multi-byte text', () => {
    const inputs = ['', 'abc', 'é', '😀 emoji', 'x'.repeat(55), 'x'.repeat(56), 'x'.repeat(64), 'y'.repeat(1000)];
    for (const input of inputs) assert.equal(sha256Hex(input), createHash('sha256').update(input, 'utf8').digest('hex'), JSON.stringify(input.slice(0, 10)));
  });

  it('hashes an id to 12 hex digits that depend on the salt and never show the id', () => {
    const a = hashId('acme-internal/legal-bot', 'app-salt');
    assert.match(a, /^[0-9a-f]{12}$/);
    assert.equal(hashId('acme-internal/legal-bot', 'app-salt'), a, 'stable, so distinct values can be counted');
    assert.notEqual(hashId('acme-internal/legal-bot', 'other-salt'), a);
    assert.notEqual(hashId('acme-internal/legal-bot2', 'app-salt'), a);
    assert.equal(a, createHash('sha256').update('app-salt\u0000acme-internal/legal-bot').digest('hex').slice(0, 12));
  });

  it('buckets numbers into the ranges between edges', () => {
    const edges = [100, 500, 2000];
    assert.deepEqual([0, 99, 100, 499, 500, 1999, 2000, 1e9].map((v) => bucket(v, edges)), ['<100', '<100', '100-500', '100-500', '500-2000', '500-2000', '2000+', '2000+']);
    assert.equal(bucket(Number.NaN, edges), 'unknown');
    assert.equal(bucket(5, []), 'unknown');
    assert.equal(lengthBucket('x'.repeat(120)), '100-500');
  });

  it('snaps a number down to a fixed tier', () => {
    const gb = [8, 16, 18, 24, 32, 36, 48, 64, 96, 128];
    assert.deepEqual([4, 8, 17.2, 18, 100, 128, 512].map((v) => tier(v, gb)), ['<8', '8', '16', '18', '96', '128+', '128+']);
    assert.equal(tier(Number.POSITIVE_INFINITY, gb), 'unknown');
  });
});
