import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { BlobRejectedError, type BlobRejection } from '@strix/contracts';
import { DirectoryBlobStore } from './directory-blob-store.ts';

async function openStore(t: TestContext): Promise<DirectoryBlobStore> {
  const dir = await mkdtemp(join(tmpdir(), 'strix-blobs-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return DirectoryBlobStore.open(join(dir, 'store'));
}

const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest('hex');
const expectOf = (data: string) => ({ size: Buffer.byteLength(data), sha256: sha256(data) });

async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield Buffer.from(part);
}

async function read(store: DirectoryBlobStore, key: string): Promise<string | undefined> {
  const opened = await store.open(key);
  if (!opened) return undefined;
  const parts: Buffer[] = [];
  for await (const chunk of opened.stream) parts.push(chunk as Buffer);
  const text = Buffer.concat(parts).toString();
  assert.equal(opened.size, Buffer.byteLength(text));
  return text;
}

/** Every file and folder below the store's root, temporary ones included. */
async function everything(store: DirectoryBlobStore): Promise<string[]> {
  return (await readdir(store.root, { recursive: true })).map(String).sort();
}

async function keys(store: DirectoryBlobStore, prefix?: string): Promise<string[]> {
  const found: string[] = [];
  for await (const blob of store.list(prefix)) found.push(blob.key);
  return found.sort();
}

const rejected = (reason: BlobRejection) => (error: unknown) => {
  assert.ok(error instanceof BlobRejectedError, `expected a BlobRejectedError, got ${String(error)}`);
  assert.equal(error.reason, reason);
  return true;
};

describe('DirectoryBlobStore', () => {
  it('stores a streamed body, hands it back with its size, replaces it, and deletes it idempotently', async (t) => {
    const store = await openStore(t);
    const body = 'first line\nsecond line\n';
    assert.deepEqual(await store.put('attachments/ab/one', chunks('first ', 'line\n', 'second line\n'), expectOf(body)), expectOf(body));
    assert.equal(await read(store, 'attachments/ab/one'), body);
    await store.put('attachments/cd/two', Readable.from([Buffer.from('2')]), expectOf('2'));
    await store.put('other', chunks(''), expectOf(''));
    assert.equal(await read(store, 'other'), '');

    assert.deepEqual(await keys(store), ['attachments/ab/one', 'attachments/cd/two', 'other']);
    assert.deepEqual(await keys(store, 'attachments/'), ['attachments/ab/one', 'attachments/cd/two']);
    assert.deepEqual(await keys(store, 'attachments/a'), ['attachments/ab/one']);
    assert.deepEqual(await keys(store, 'nothing/here'), []);
    assert.equal(await store.open('attachments/ab'), undefined, 'a folder of keys is no blob');

    await store.put('attachments/ab/one', chunks('replaced'), expectOf('replaced'));
    assert.equal(await read(store, 'attachments/ab/one'), 'replaced');
    await store.delete('attachments/ab/one');
    await store.delete('attachments/ab/one');
    await store.delete('never/written');
    assert.equal(await store.open('attachments/ab/one'), undefined);
    assert.deepEqual(await keys(store), ['attachments/cd/two', 'other']);
  });

  it('refuses a body longer or shorter than declared, or with another SHA-256, leaving nothing and keeping what was there', async (t) => {
    const store = await openStore(t);
    await store.put('kept', chunks('original'), expectOf('original'));
    const before = await everything(store);
    const declared = expectOf('0123456789');

    await assert.rejects(store.put('fresh', chunks('01234', '56789', 'x'), declared), rejected('too_large'));
    await assert.rejects(store.put('fresh', chunks('012345678'), declared), rejected('too_small'));
    await assert.rejects(store.put('fresh', chunks('0123456780'), declared), (error: unknown) => {
      rejected('sha256_mismatch')(error);
      assert.match(String(error), new RegExp(`its SHA-256 is ${sha256('0123456780')}, ${declared.sha256} declared`));
      return true;
    });
    await assert.rejects(store.put('kept', chunks('0123456789', '!'), declared), rejected('too_large'));
    await assert.rejects(store.put('kept', chunks('0123456780'), declared), rejected('sha256_mismatch'));

    assert.equal(await store.open('fresh'), undefined);
    assert.equal(await read(store, 'kept'), 'original');
    assert.deepEqual(await everything(store), before, 'no temporary file is left behind');
  });

  it('stops reading a body at the first byte over its declared size', async (t) => {
    const store = await openStore(t);
    let pulled = 0;
    async function* endless(): AsyncGenerator<Uint8Array> {
      for (;;) {
        pulled++;
        yield new Uint8Array(1000);
      }
    }
    await assert.rejects(store.put('endless', endless(), { size: 2500, sha256: sha256('') }), rejected('too_large'));
    assert.equal(pulled, 3);
  });

  it('leaves nothing when the body fails half way', async (t) => {
    const store = await openStore(t);
    const data = Buffer.alloc(3 * 1024 * 1024, 7);
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield data.subarray(0, 2 * 1024 * 1024);
      throw new Error('client went away');
    }
    await assert.rejects(store.put('attachments/ab/cut', failing(), { size: data.length, sha256: sha256(data) }), /client went away/);
    assert.equal(await store.open('attachments/ab/cut'), undefined);
    assert.deepEqual(await everything(store), ['attachments', 'attachments/ab']);
  });

  it('refuses any key outside its pattern, for every operation, and writes nothing outside its root', async (t) => {
    const store = await openStore(t);
    const bad = ['', '../escape', 'a/../../escape', '/etc/passwd', 'a//b', 'a/', '.hidden', 'a/.b', 'A', 'a b', 'a\\b', 'a.b', 'é', 'a\u0000b', '-a', 'a/_b/../c', 'x'.repeat(201)];
    for (const key of bad) {
      await assert.rejects(store.put(key, chunks('x'), expectOf('x')), RangeError, key);
      await assert.rejects(store.open(key), RangeError, key);
      await assert.rejects(store.delete(key), RangeError, key);
    }
    await assert.rejects(() => keys(store, '../'), RangeError);
    assert.deepEqual(await readdir(join(store.root, '..')), ['store']);
    assert.deepEqual(await everything(store), []);
    await store.put('x'.repeat(200), chunks('x'), expectOf('x'));
    await store.put('a-b_c/0-9/z', chunks('x'), expectOf('x'));
  });

  it('streams a 200 MiB body without holding it: memory grows by a small fraction of it', async (t) => {
    const store = await openStore(t);
    const total = 200 * 1024 * 1024;
    const chunkBytes = 64 * 1024;
    // Fresh chunks every time, as a socket yields them; their contents depend on their position.
    function* generated(): Generator<Buffer> {
      for (let at = 0; at < total; at += chunkBytes) yield Buffer.alloc(chunkBytes, (at / chunkBytes) % 251);
    }
    const hash = createHash('sha256');
    for (const chunk of generated()) hash.update(chunk);
    const expected = { size: total, sha256: hash.digest('hex') };

    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    async function* measured(): AsyncGenerator<Buffer> {
      for (const chunk of generated()) {
        peak = Math.max(peak, process.memoryUsage().rss);
        yield chunk;
      }
    }
    assert.deepEqual(await store.put('big', measured(), expected), expected);
    const grown = peak - baseline;
    t.diagnostic(`RSS grew by ${(grown / 1024 / 1024).toFixed(1)} MiB while storing ${total / 1024 / 1024} MiB`);
    assert.ok(grown < total / 4, `RSS grew by ${grown} bytes for a ${total}-byte body`);

    const opened = await store.open('big');
    assert.ok(opened);
    assert.equal(opened.size, total);
    const back = createHash('sha256');
    for await (const chunk of opened.stream) back.update(chunk as Buffer);
    assert.equal(back.digest('hex'), expected.sha256);
  });

  it('shows nothing of an upload whose process was killed, and purges what it left', async (t) => {
    const store = await openStore(t);
    const module = new URL('./directory-blob-store.ts', import.meta.url).href;
    // A process writing an endless body slowly, killed with SIGKILL once part of it is on disk.
    const script = `
      import { DirectoryBlobStore } from ${JSON.stringify(module)};
      const store = await DirectoryBlobStore.open(process.env.STRIX_TEST_BLOBS);
      async function* slow() { for (;;) { yield new Uint8Array(64 * 1024); await new Promise((r) => setTimeout(r, 5)); } }
      await store.put('attachments/ki/killed', slow(), { size: 1e9, sha256: '${'0'.repeat(64)}' });`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      env: { ...process.env, STRIX_TEST_BLOBS: store.root },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    t.after(() => child.kill('SIGKILL'));
    const folder = join(store.root, 'attachments', 'ki');
    const partial = async () => {
      const names = await readdir(folder).catch(() => []);
      const temp = names.find((n) => n.startsWith('.'));
      return temp !== undefined && (await stat(join(folder, temp))).size >= 1024 * 1024;
    };
    for (let waited = 0; !(await partial()); waited += 50) {
      assert.ok(waited < 60_000, 'the upload never started');
      await sleep(50);
    }
    child.kill('SIGKILL');
    await exited;

    assert.equal(await store.open('attachments/ki/killed'), undefined);
    assert.deepEqual(await keys(store), []);
    assert.equal(await store.purgeIncomplete(Date.now() - 60_000), 0, 'a recent upload may still be running');
    assert.equal(await store.purgeIncomplete(Date.now() + 1000), 1);
    assert.deepEqual(await everything(store), ['attachments', 'attachments/ki']);
  });
});
