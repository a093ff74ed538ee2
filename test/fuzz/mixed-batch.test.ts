// The whole embedded Strix (edge, log, pipeline, warehouse): a batch mixing
// valid events with invalid ones (lone surrogates anywhere, wrong types,
// oversized fields) stores each valid event exactly once and nothing else, and
// the pipeline stays ready. Each case goes through the warehouse, so this runs
// far fewer cases than the endpoint suite (STRIX_FUZZ_BATCH_CASES, default 200).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { startHarness, type Harness } from '@strix/testkit/harness';

const numRuns = Number(process.env.STRIX_FUZZ_BATCH_CASES ?? 200);
const seed = Number(process.env.STRIX_FUZZ_SEED ?? 20_240_501);

const text = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 });
const validEvent = fc.record({
  message: text,
  level: fc.constantFrom('debug', 'info', 'warn', 'error', 'warning', 'fatal'),
  name: fc.option(text, { nil: undefined }),
  user_id: fc.option(text, { nil: undefined }),
  attributes: fc.option(fc.dictionary(fc.string({ minLength: 1, maxLength: 10 }), fc.string({ maxLength: 20 }), { maxKeys: 5 }), { nil: undefined }),
});

/** Invalid by construction: each refusal must be per item, never the batch. */
const invalidEvent = fc.oneof(
  fc.constantFrom('\ud800', 'a\udfffb', 'x\ud83d').chain((bad) =>
    fc.constantFrom({ message: bad }, { message: 'm', user_id: bad }, { message: 'm', attributes: { [bad]: 'v' } }, { message: 'm', attributes: { k: bad } }, { message: 'm', screen_name: bad }),
  ),
  fc.constantFrom({ message: 5 }, { message: 'm', level: 'loud' }, { message: 'm', timestamp: 'yesterday' }, { message: 'm', attributes: 'k=v' }, { message: 'x'.repeat(100_000) }, null, 'text', []),
);

const batch = fc.tuple(fc.array(validEvent, { minLength: 1, maxLength: 10 }), fc.array(invalidEvent, { minLength: 1, maxLength: 10 })).chain(([valid, invalid]) =>
  fc.shuffledSubarray([...valid.map((e) => ({ valid: true, e })), ...invalid.map((e) => ({ valid: false, e }))], { minLength: valid.length + invalid.length }),
);

describe('mixed batches on the embedded deployment', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ STRIX_RATE_LIMIT_KEY_RPS: '1000000', STRIX_RATE_LIMIT_DEVICE_RPS: '1000000' });
  });
  after(() => h.close());

  it(`stores the valid events of a mixed batch exactly once (${numRuns} batches)`, { timeout: 30 * 60_000 }, async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(batch, async (items) => {
        const session = `mixed-${seed}-${run++}`;
        const events = items.map((item, i) => (item.valid && item.e && typeof item.e === 'object' ? { ...item.e, client_event_id: `${session}-${i}`, session_id: session } : item.e));
        const res = await h.strix.app.inject({
          method: 'POST',
          url: '/v1/ingest',
          headers: { authorization: `Bearer ${h.credentials.clientKey}`, 'content-type': 'application/json' },
          payload: JSON.stringify({ events }),
        });
        assert.equal(res.statusCode, 200, res.body);
        const answer = res.json<{ accepted: number; errors: { index: number }[] }>();
        const validIndexes = items.flatMap((item, i) => (item.valid ? [i] : []));
        assert.equal(answer.accepted, validIndexes.length, res.body);
        assert.deepEqual(answer.errors.map((e) => e.index).sort((a, b) => a - b), items.flatMap((item, i) => (item.valid ? [] : [i])));

        await h.strix.drained();
        const stored = await h.strix.warehouse.query<{ event_id: string; copies: string }>(
          'SELECT event_id, count() AS copies FROM events WHERE session_id = {session:String} GROUP BY event_id ORDER BY event_id',
          { session },
        );
        assert.deepEqual(
          stored.map((r) => [r.event_id, Number(r.copies)]),
          validIndexes.map((i) => [`${session}-${i}`, 1]).sort(([a], [b]) => String(a).localeCompare(String(b))),
        );
        const ready = await h.strix.app.inject({ method: 'GET', url: '/readyz' });
        assert.equal(ready.statusCode, 200, ready.body);
      }),
      { numRuns, seed, endOnFailure: true },
    );
  });
});
