import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ChdbWarehouse } from './chdb-warehouse.ts';

const text = async (chunks: AsyncIterable<Uint8Array>) => {
  let out = '';
  for await (const chunk of chunks) out += Buffer.from(chunk).toString();
  return out;
};

describe('ChdbWarehouse streams', () => {
  let dir: string;
  let wh: ChdbWarehouse;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strix-streams-'));
    wh = new ChdbWarehouse(join(dir, 'chdb'));
  });
  after(async () => {
    await wh.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('take turns: streams asked for together all answer in full, none refused as busy', async () => {
    const sql = 'SELECT number FROM numbers({n:UInt32})';
    const answers = await Promise.all([1, 2, 3, 4].map((n) => text(wh.stream(sql, { n: n * 50_000 }, 'JSONEachRow'))));
    assert.deepEqual(
      answers.map((a) => a.trim().split('\n').length),
      [50_000, 100_000, 150_000, 200_000],
    );
  });

  it('a stream left after its first chunk lets the next one run', async () => {
    const first = wh.stream('SELECT number FROM numbers(1000000)', {}, 'JSONEachRow')[Symbol.asyncIterator]();
    assert.equal((await first.next()).done, false);
    await first.return(undefined);
    assert.equal((await text(wh.stream('SELECT 42 AS n', {}, 'JSONEachRow'))).trim(), '{"n":42}');
  });
});
