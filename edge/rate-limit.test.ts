import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '@strix/http';
import { IngestRateLimiter } from './rate-limit.ts';

function status(limiter: IngestRateLimiter, key: string, device: string, now: number): number | string {
  try {
    limiter.check(key, device, now);
    return 200;
  } catch (error) {
    assert.ok(error instanceof ApiError);
    return `${error.statusCode} retry ${error.retryAfterSeconds}`;
  }
}

describe('IngestRateLimiter', () => {
  it('throttles one device without touching the others of the same key', () => {
    const limiter = new IngestRateLimiter({ perKeyPerSecond: 1000, perDevicePerSecond: 2, burstSeconds: 1 });
    assert.equal(status(limiter, 'k', 'd1', 0), 200);
    assert.equal(status(limiter, 'k', 'd1', 0), 200);
    assert.equal(status(limiter, 'k', 'd1', 0), '429 retry 1');
    assert.equal(status(limiter, 'k', 'd2', 0), 200);
    assert.equal(status(limiter, 'k', 'd1', 500), 200, 'refilled at 2/s after half a second');
  });

  it('caps a whole key at its own, higher ceiling', () => {
    const limiter = new IngestRateLimiter({ perKeyPerSecond: 3, perDevicePerSecond: 100, burstSeconds: 1 });
    const results = ['a', 'b', 'c', 'd'].map((d) => status(limiter, 'k', d, 0));
    assert.deepEqual(results, [200, 200, 200, '429 retry 1']);
    assert.equal(status(limiter, 'other-key', 'a', 0), 200);
  });

  it('forgets the least recently used buckets beyond its bound', () => {
    const limiter = new IngestRateLimiter({ perKeyPerSecond: 1000, perDevicePerSecond: 1, burstSeconds: 1 }, 2);
    assert.equal(status(limiter, 'k', 'd1', 0), 200);
    assert.equal(status(limiter, 'k', 'd2', 0), 200);
    assert.equal(status(limiter, 'k', 'd3', 0), 200);
    assert.equal(status(limiter, 'k', 'd1', 0), 200, 'd1 was evicted and starts with a full bucket');
  });
});
