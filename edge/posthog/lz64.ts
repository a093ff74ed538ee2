/**
 * `LZString.decompressFromBase64`, as older PostHog browser SDKs compress bodies (`compression=lz64`),
 * with a bound on the output. lz-string itself has none: each code of its dictionary may stand for a
 * string one character longer than the code before it, so n codes can expand to about n²/2
 * characters: a 1 MiB body (about 300,000 codes) to tens of billions. Here decoding stops as soon as
 * the output passes `maxChars`. The algorithm is lz-string 1.5's; lz64.test.ts checks that the two agree.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=';
const SIX_BITS = new Map([...ALPHABET].map((char, i) => [char, i]));

export type Lz64Result = { text: string } | { refused: 'not lz-string output' | 'too large' };

const invalid: Lz64Result = { refused: 'not lz-string output' };

/** The decompressed text, or why not: the input is not lz-string output, or its text is longer than `maxChars`. */
export function decompressLz64(input: string, maxChars: number): Lz64Result {
  if (input === '') return invalid;
  // A character outside the alphabet reads as 0, as in lz-string.
  const valueAt = (index: number) => SIX_BITS.get(input.charAt(index)) ?? 0;
  let value = valueAt(0);
  let position = 32;
  let index = 1;
  const readBits = (count: number): number => {
    let bits = 0;
    for (let power = 1, end = 2 ** count; power !== end; power *= 2) {
      const bit = value & position;
      position >>= 1;
      if (position === 0) {
        position = 32;
        value = valueAt(index++);
      }
      if (bit > 0) bits += power;
    }
    return bits;
  };

  const dictionary: string[] = ['', '', ''];
  let enlargeIn = 4;
  let numBits = 3;
  const first = readBits(2);
  if (first === 2) return { text: '' };
  if (first === 3) return invalid;
  const firstChar = String.fromCharCode(readBits(first === 0 ? 8 : 16));
  dictionary.push(firstChar);
  let previous = firstChar;
  const output = [firstChar];
  let length = 1;

  for (;;) {
    if (index > input.length) return invalid;
    let code = readBits(numBits);
    if (code === 2) return { text: output.join('') };
    if (code === 0 || code === 1) {
      dictionary.push(String.fromCharCode(readBits(code === 0 ? 8 : 16)));
      code = dictionary.length - 1;
      if (--enlargeIn === 0) {
        enlargeIn = 2 ** numBits;
        numBits++;
      }
    }
    const entry = code === dictionary.length ? previous + previous.charAt(0) : dictionary[code];
    if (!entry) return invalid;
    length += entry.length;
    if (length > maxChars) return { refused: 'too large' };
    output.push(entry);
    dictionary.push(previous + entry.charAt(0));
    previous = entry;
    if (--enlargeIn === 0) {
      enlargeIn = 2 ** numBits;
      numBits++;
    }
  }
}
