import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inPostHogTerms, validateCapture } from './validate-capture.ts';

const now = Date.now();

describe('validateCapture', () => {
  it('validates each event as its Strix endpoint does, one by one, and drops replay chunks', () => {
    const { batch, dropped } = validateCapture(
      [
        { event: 'signed_up', distinct_id: 'u1', uuid: 'id-1', properties: { plan: 'pro' } },
        { event: '$exception', distinct_id: 'u1', properties: { $exception_list: [{ type: 'TypeError', value: 'boom' }] } },
        { event: '$snapshot', properties: {} },
        { event: 'too_old', timestamp: now - 40 * 86_400_000 },
        { event: 'x'.repeat(201) },
        { event: 'anonymous_set', $set: { plan: 'pro' } },
      ],
      now,
      undefined,
    );
    assert.equal(dropped, 1);
    assert.deepEqual(batch.indexes, [0, 1]);
    const [track, error] = batch.accepted;
    assert.deepEqual([track?.kind, track?.name, track?.event_id, track?.user_id, track?.attributes], ['track', 'signed_up', 'id-1', 'u1', { plan: 'pro' }]);
    assert.deepEqual([error?.kind, error?.level, error?.message, error?.exception?.type], [undefined, 'error', 'boom', 'TypeError']);
    assert.deepEqual(
      batch.errors.map(inPostHogTerms),
      [
        { index: 3, message: 'batch[3].timestamp: more than 30 days in the past' },
        { index: 4, message: 'batch[4].event: must be at most 200 characters' },
        { index: 5, message: 'batch[5].$set: user properties need a user_id' },
      ],
    );
  });

  it('names fields as the PostHog event names them', () => {
    const cases: [string, string][] = [
      ['events[2].props.plan: must be at most 2048 characters', 'batch[2].properties.plan: must be at most 2048 characters'],
      ['events[0].user_id: must be at most 128 characters', 'batch[0].distinct_id: must be at most 128 characters'],
      ['events[1].exception.stacktrace.frames: x', 'batch[1].properties.$exception_list[0].stacktrace.frames: x'],
      ['events[1].constructor: x', 'batch[1].constructor: x'],
      ['events[3]: x', 'batch[3]: x'],
    ];
    for (const [strix, posthog] of cases) assert.equal(inPostHogTerms({ index: 0, message: strix }).message, posthog);
  });
});
