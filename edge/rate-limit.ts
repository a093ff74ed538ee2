import { ApiError } from '@strix/http';

export interface RateLimits {
  /** Requests per second for one client key: every device of an app shares it, so it is high. */
  perKeyPerSecond: number;
  /** Requests per second for one device (device id header, else client address) of one key. */
  perDevicePerSecond: number;
  /** Burst allowance, as seconds of the sustained rate. */
  burstSeconds: number;
}

interface Bucket {
  tokens: number;
  updatedMs: number;
}

/**
 * Token buckets keyed by string, bounded: the least recently refilled buckets are
 * forgotten first (a forgotten bucket starts full again, which only ever lets a
 * client through, never blocks one wrongly).
 */
class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();
  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly maxBuckets: number,
  ) {}

  /** Seconds to wait before a token is available, or 0 when one was taken. */
  take(key: string, nowMs: number): number {
    let bucket = this.buckets.get(key);
    if (bucket) {
      this.buckets.delete(key);
      bucket.tokens = Math.min(this.burst, bucket.tokens + ((nowMs - bucket.updatedMs) / 1000) * this.ratePerSecond);
      bucket.updatedMs = nowMs;
    } else {
      bucket = { tokens: this.burst, updatedMs: nowMs };
      if (this.buckets.size >= this.maxBuckets) {
        const oldest = this.buckets.keys().next().value;
        if (oldest !== undefined) this.buckets.delete(oldest);
      }
    }
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.ratePerSecond));
  }
}

/** Two layers: a device cannot starve its app, and an app has a generous ceiling of its own. */
export class IngestRateLimiter {
  private readonly perKey: TokenBuckets;
  private readonly perDevice: TokenBuckets;

  constructor(limits: RateLimits, maxBuckets = 100_000) {
    this.perKey = new TokenBuckets(limits.perKeyPerSecond, limits.perKeyPerSecond * limits.burstSeconds, maxBuckets);
    this.perDevice = new TokenBuckets(
      limits.perDevicePerSecond,
      limits.perDevicePerSecond * limits.burstSeconds,
      maxBuckets,
    );
  }

  /** Throws a 429 naming the limit that was hit. */
  check(keyId: string, device: string, nowMs = Date.now()): void {
    const deviceWait = this.perDevice.take(`${keyId}\u0000${device}`, nowMs);
    if (deviceWait > 0) {
      throw new ApiError('rate_limited', 'too many requests from this device for this key; retry later', deviceWait);
    }
    const keyWait = this.perKey.take(keyId, nowMs);
    if (keyWait > 0) {
      throw new ApiError('rate_limited', 'too many requests for this client key; retry later', keyWait);
    }
  }
}
