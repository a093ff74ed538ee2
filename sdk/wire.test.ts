import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Limits, attributes, fingerprint, text, userProperties, utf8Length } from './wire.ts';

const wellFormed = (s: string) => (s as unknown as { isWellFormed(): boolean }).isWellFormed();

describe('items within the server’s limits', () => {
  it('cuts text without splitting a surrogate pair and replaces lone surrogates', () => {
    assert.equal(text('abcdef', 3), 'abc');
    const cut = text('ab😀', 3);
    assert.equal(cut, 'ab', 'the emoji would be split: it goes whole');
    assert.ok(wellFormed(cut));
    assert.equal(text('a\ud800b', 10), 'a\ufffdb');
    assert.equal(text('a\udc00', 10), 'a\ufffd');
    assert.equal(text('ok 😀', 10), 'ok 😀');
  });

  it('keeps at most 50 attributes, cuts keys and values, and turns what is not data into text or nothing', () => {
    const input: Record<string, unknown> = {};
    for (let i = 0; i < 60; i++) input[`k${i}`] = i;
    assert.equal(Object.keys(attributes(input) ?? {}).length, Limits.maxAttributes);

    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const out = attributes({
      long: 'x'.repeat(5000),
      ['k'.repeat(200)]: true,
      nan: Number.NaN,
      big: 10n,
      nested: { a: [1, 2] },
      cyclic,
      when: new Date('2026-01-01T00:00:00Z'),
      nothing: null,
      skipped: undefined,
      fn: () => 1,
      sym: Symbol('s'),
    });
    assert.equal((out?.long as string).length, Limits.maxAttributeValueChars);
    assert.equal(out?.['k'.repeat(Limits.maxAttributeKeyChars)], true);
    assert.equal(out?.nan, 'NaN');
    assert.equal(out?.big, '10');
    assert.equal(out?.nested, '{"a":[1,2]}');
    assert.equal(out?.cyclic, '[object Object]');
    assert.equal(out?.when, '2026-01-01T00:00:00.000Z');
    assert.equal(out?.nothing, null);
    assert.deepEqual(['skipped', 'fn', 'sym'].filter((k) => out && k in out), []);
    assert.equal(attributes(undefined), undefined);
    assert.equal(attributes({}), undefined);
  });

  it('keeps user properties to 50 keys of 50 characters and values of 200', () => {
    const input: Record<string, unknown> = { ['p'.repeat(80)]: 'v'.repeat(300), plan: 'pro', seats: 3, trial: false, gone: null };
    for (let i = 0; i < 60; i++) input[`k${i}`] = i;
    const out = userProperties(input) ?? {};
    assert.equal(Object.keys(out).length, Limits.maxUserPropertyKeys);
    assert.equal(out['p'.repeat(50)], 'v'.repeat(200));
    assert.deepEqual([out.plan, out.seats, out.trial], ['pro', 3, false]);
    assert.equal('gone' in out, false);
  });

  it('keeps a fingerprint to 10 non-empty parts of 200 characters', () => {
    assert.deepEqual(fingerprint(['{{ default }}', '', 'x'.repeat(300)]), ['{{ default }}', 'x'.repeat(200)]);
    assert.equal(fingerprint(Array.from({ length: 12 }, (_, i) => `p${i}`))?.length, 10);
    assert.equal(fingerprint(['']), undefined);
  });

  it('counts UTF-8 bytes as the server will', () => {
    for (const s of ['', 'abc', 'é', '€', '😀', 'a\ud800']) assert.equal(utf8Length(s), Buffer.byteLength(s, 'utf8'), JSON.stringify(s));
  });
});
