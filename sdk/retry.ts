/**
 * When to try again: exponential backoff with jitter (so a fleet of devices that lost the server
 * together does not come back together), the server's `Retry-After` as a floor, and a circuit
 * breaker that stops trying for a while once the server has failed several times in a row.
 */

export interface RetryPolicy {
  /** The first retry's delay before jitter. */
  baseDelayMs: number;
  /** The longest backoff (a `Retry-After` may ask for longer, up to `maxRetryAfterMs`). */
  maxDelayMs: number;
  /** A `Retry-After` beyond this is capped: a misconfigured proxy must not silence the SDK for a day. */
  maxRetryAfterMs: number;
  /** Consecutive failures that open the breaker. */
  breakerThreshold: number;
  /** How long the breaker stays open the first time; doubled on each failed probe, up to `maxCooldownMs`. */
  cooldownMs: number;
  maxCooldownMs: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  baseDelayMs: 1_000,
  maxDelayMs: 60_000,
  maxRetryAfterMs: 10 * 60_000,
  breakerThreshold: 5,
  cooldownMs: 30_000,
  maxCooldownMs: 10 * 60_000,
};

/**
 * The delay before retry number `attempt` (1 for the first): "equal jitter", half of the capped
 * exponential delay plus a random part of the other half, so it is never near zero yet spread out.
 */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, Math.min(attempt - 1, 30)));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** A `Retry-After` header (seconds, or an HTTP date) in milliseconds from `nowMs`; undefined when absent or unreadable. */
export function parseRetryAfter(header: string | null | undefined, nowMs: number): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

export type BreakerState = 'closed' | 'open' | 'half-open';

/**
 * Closed: requests go. After `breakerThreshold` failures in a row it opens: nothing is sent until
 * the cooldown ends. Then one request probes (half-open): success closes it, failure opens it again
 * for twice as long.
 */
export class CircuitBreaker {
  private failures = 0;
  private openUntil = 0;
  private cooldown: number;
  private probing = false;

  constructor(private readonly policy: RetryPolicy) {
    this.cooldown = policy.cooldownMs;
  }

  state(nowMs: number): BreakerState {
    if (this.openUntil === 0) return 'closed';
    return nowMs < this.openUntil ? 'open' : 'half-open';
  }

  /** Whether a request may go now; in half-open, only one at a time. */
  allows(nowMs: number): boolean {
    const state = this.state(nowMs);
    if (state === 'closed') return true;
    if (state === 'open' || this.probing) return false;
    this.probing = true;
    return true;
  }

  /** Milliseconds until the breaker lets a probe through (0 when it does now). */
  waitMs(nowMs: number): number {
    return this.openUntil === 0 ? 0 : Math.max(0, this.openUntil - nowMs);
  }

  success(): void {
    this.failures = 0;
    this.openUntil = 0;
    this.probing = false;
    this.cooldown = this.policy.cooldownMs;
  }

  failure(nowMs: number): void {
    this.failures++;
    if (this.probing) {
      this.probing = false;
      this.cooldown = Math.min(this.policy.maxCooldownMs, this.cooldown * 2);
      this.openUntil = nowMs + this.cooldown;
    } else if (this.failures >= this.policy.breakerThreshold && this.openUntil === 0) {
      this.openUntil = nowMs + this.cooldown;
    }
  }
}
