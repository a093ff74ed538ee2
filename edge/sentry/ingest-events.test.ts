import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clockAheadMs } from './ingest-events.ts';

describe('a client clock running ahead', () => {
  const receivedAt = Date.parse('2024-05-01T12:00:00Z');

  it('is measured by the envelope’s sent_at, beyond a minute of network delay', () => {
    assert.equal(clockAheadMs('2024-05-01T12:10:00Z', receivedAt), 600_000);
    assert.equal(clockAheadMs('2024-05-01T12:00:59Z', receivedAt), 0, 'within the tolerance: not corrected');
  });

  it('is not assumed from a late envelope (sent_at in the past: kept offline, retried) or a missing sent_at', () => {
    assert.equal(clockAheadMs('2024-05-01T09:00:00Z', receivedAt), 0);
    assert.equal(clockAheadMs(undefined, receivedAt), 0);
    assert.equal(clockAheadMs('soon', receivedAt), 0);
    assert.equal(clockAheadMs(1714568400, receivedAt), 0);
  });
});
