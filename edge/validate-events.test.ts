import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateEvents, validateMetrics, validateTrack } from './validate-events.ts';
import { findMalformedText } from '@strix/http';

const now = Date.now();

describe('text that is not well-formed Unicode', () => {
  it('is found in values and keys, with the field path', () => {
    assert.equal(findMalformedText({ message: 'ok 😀', attributes: { k: 'v' } }, 'events[0]'), undefined);
    assert.equal(
      findMalformedText({ message: 'a\ud800b' }, 'events[0]'),
      'events[0].message: must be well-formed Unicode text (lone surrogate \\ud800)',
    );
    assert.equal(
      findMalformedText({ attributes: { 'k\udc01': 'v' } }, 'events[2]'),
      'events[2].attributes["k\\udc01"]: keys must be well-formed Unicode text (lone surrogate \\udc01)',
    );
    assert.equal(
      findMalformedText({ fingerprint: ['ok', '\ud83d'] }, 'events[1]'),
      'events[1].fingerprint[1]: must be well-formed Unicode text (lone surrogate \\ud83d)',
    );
    assert.match(findMalformedText({ exception: { stacktrace: { frames: [{ function: '\udfff' }] } } }, 'e') ?? '', /^e\.exception\.stacktrace\.frames\[0\]\.function: /);
  });

  it('rejects the item at every batch endpoint while the rest of the batch is accepted', () => {
    const logs = validateEvents([{ message: 'fine' }, { message: '\ud800' }, { message: 'x', $set: { ['plan\ud800']: 'pro' }, user_id: 'u' }], now);
    assert.equal(logs.accepted.length, 1);
    assert.deepEqual(logs.indexes, [0]);
    assert.deepEqual(
      logs.errors.map((e) => [e.index, e.message.split(':')[0]]),
      [[1, 'events[1].message'], [2, 'events[2].$set["plan\\ud800"]']],
    );

    const track = validateTrack([{ name: 'cart.add', props: { sku: '\udc00' } }, { name: 'ok', experiments: { ['\ud800']: 'a' } }, { name: 'fine' }], now);
    assert.deepEqual(track.indexes, [2]);
    assert.deepEqual(track.errors.map((e) => e.message.split(':')[0]), ['events[0].props.sku', 'events[1].experiments["\\ud800"]']);

    const metrics = validateMetrics([{ name: 'load', value: 1, tags: { screen: 'a\ud800' } }, { name: 'load', value: 2, unit: 'ms' }], now);
    assert.deepEqual(metrics.indexes, [1]);
    assert.equal(metrics.errors[0]?.message.split(':')[0], 'points[0].tags.screen');
  });

  it('leaves NUL, noncharacters and paired surrogates alone: the warehouse stores them', () => {
    const batch = validateEvents([{ message: 'a\u0000b \uffff 😀', attributes: { '': 'empty key', 'k\u0000': 'v' } }], now);
    assert.equal(batch.errors.length, 0);
    assert.equal(batch.accepted.length, 1);
  });
});
