import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CircuitBreaker, backoffDelay, defaultRetryPolicy, parseRetryAfter } from './retry.ts';

const policy = { ...defaultRetryPolicy, baseDelayMs: 1000, maxDelayMs: 60_000, breakerThreshold: 3, cooldownMs: 30_000, maxCooldownMs: 120_000 };

describe('retries', () => {
  it('backs off exponentially with jitter between half and all of the capped delay', () => {
    for (const [attempt, ceiling] of [[1, 1000], [2, 2000], [3, 4000], [7, 60_000], [50, 60_000]] as const) {
      assert.equal(backoffDelay(attempt, policy, () => 0), ceiling / 2, `attempt ${attempt}, least jitter`);
      assert.equal(backoffDelay(attempt, policy, () => 0.999999), Math.round(ceiling / 2 + 0.999999 * (ceiling / 2)), `attempt ${attempt}, most jitter`);
    }
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(parseRetryAfter('2', now), 2000);
    assert.equal(parseRetryAfter(' 120 ', now), 120_000);
    assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now), 30_000);
    assert.equal(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now), 0, 'a date in the past: now');
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRetryAfter(null, now), undefined);
  });

  it('opens the breaker after consecutive failures, probes once after the cooldown, and doubles it when the probe fails', () => {
    const breaker = new CircuitBreaker(policy);
    let now = 0;
    for (let i = 0; i < 2; i++) breaker.failure(now);
    assert.equal(breaker.state(now), 'closed');
    breaker.failure(now);
    assert.equal(breaker.state(now), 'open');
    assert.equal(breaker.allows(now), false);
    assert.equal(breaker.waitMs(now), 30_000);

    now = 30_000;
    assert.equal(breaker.state(now), 'half-open');
    assert.equal(breaker.allows(now), true, 'one probe');
    assert.equal(breaker.allows(now), false, 'only one');
    breaker.failure(now);
    assert.equal(breaker.state(now), 'open');
    assert.equal(breaker.waitMs(now), 60_000, 'twice as long');

    now += 60_000;
    assert.equal(breaker.allows(now), true);
    breaker.success();
    assert.equal(breaker.state(now), 'closed');
    assert.equal(breaker.allows(now), true);
  });

  it('a success in between resets the count of failures', () => {
    const breaker = new CircuitBreaker(policy);
    breaker.failure(0);
    breaker.failure(0);
    breaker.success();
    breaker.failure(0);
    breaker.failure(0);
    assert.equal(breaker.state(0), 'closed');
  });
});
