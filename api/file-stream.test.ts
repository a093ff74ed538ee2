import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { fileFrom } from './file-stream.ts';

/** A source that says whether it was ended, as an engine query holding the session would. */
function source() {
  const state = { ended: false };
  async function* chunks() {
    try {
      for (let i = 0; i < 1_000; i++) yield `chunk ${i}\n`;
    } finally {
      state.ended = true;
    }
  }
  return { state, chunks: chunks() };
}

describe('fileFrom', () => {
  it('streams every chunk, the first read before the answer starts', async () => {
    const { state, chunks } = source();
    let text = '';
    for await (const chunk of await fileFrom(chunks)) text += String(chunk);
    assert.equal(text.split('\n').length - 1, 1_000);
    assert.equal(state.ended, true);
  });

  it('ends the source when the answer is destroyed before its first read (a client gone at once)', async () => {
    const { state, chunks } = source();
    const file = await fileFrom(chunks);
    file.destroy();
    await once(file, 'close');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(state.ended, true, 'the engine query would otherwise stay open and hold the session');
  });
});
