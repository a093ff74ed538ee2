import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import LZString from 'lz-string';
import { decompressLz64 } from './lz64.ts';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=';

/**
 * lz-string's worst case, written bit by bit: "a", then `codes` codes each naming the entry about to
 * be added (the previous output plus its first letter), so the k-th code stands for k + 1 letters and
 * the output is about codes²/2 letters long.
 */
function lz64Bomb(codes: number): string {
  const bits: number[] = [];
  const write = (value: number, count: number) => {
    for (let i = 0; i < count; i++) bits.push(Math.floor(value / 2 ** i) % 2);
  };
  write(0, 2);
  write('a'.charCodeAt(0), 8);
  let size = 4;
  let enlargeIn = 4;
  let numBits = 3;
  for (let k = 0; k < codes; k++) {
    write(size++, numBits);
    if (--enlargeIn === 0) {
      enlargeIn = 2 ** numBits;
      numBits++;
    }
  }
  write(2, numBits);
  let out = '';
  for (let i = 0; i < bits.length; i += 6) {
    let value = 0;
    for (let j = 0; j < 6; j++) value = value * 2 + (bits[i + j] ?? 0);
    out += ALPHABET[value];
  }
  return out;
}

describe('decompressLz64', () => {
  it('reads what LZString.compressToBase64 writes, for any text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 400 }), (text) => {
        const compressed = LZString.compressToBase64(text);
        assert.deepEqual(decompressLz64(compressed, 1_000_000), { text });
      }),
      { numRuns: 500 },
    );
    const json = JSON.stringify({ event: '$pageview', properties: { $current_url: 'https://shop.example/cart?x=1', emoji: '😀 ünïcode' } });
    assert.deepEqual(decompressLz64(LZString.compressToBase64(json), 1_000_000), { text: json });
  });

  it('stops at the bound: a small body that would expand past it is refused before it is built', () => {
    const small = lz64Bomb(60);
    assert.equal(LZString.decompressFromBase64(small), 'a'.repeat(1 + (61 * 62) / 2 - 1), 'the bomb is lz-string output');
    assert.deepEqual(decompressLz64(small, 1_000_000), { text: LZString.decompressFromBase64(small) });
    // 20,000 codes: 200 million letters from 40 KB.
    const bomb = lz64Bomb(20_000);
    assert.ok(bomb.length < 50_000, `the bomb is small (${bomb.length} characters)`);
    assert.deepEqual(decompressLz64(bomb, 1024 * 1024), { refused: 'too large' });
    assert.deepEqual(decompressLz64(LZString.compressToBase64('a'.repeat(1000)), 1000), { text: 'a'.repeat(1000) });
    assert.deepEqual(decompressLz64(LZString.compressToBase64('a'.repeat(1001)), 1000), { refused: 'too large' });
  });

  it('refuses what is not lz-string output', () => {
    assert.deepEqual(decompressLz64('', 100), { refused: 'not lz-string output' });
    // Cut short: the end marker never comes.
    const cut = LZString.compressToBase64('{"event":"signup","properties":{"plan":"pro"}}').slice(0, 10);
    assert.deepEqual(decompressLz64(cut, 100), { refused: 'not lz-string output' });
    assert.deepEqual(decompressLz64('////////', 100), { refused: 'not lz-string output' });
  });
});
