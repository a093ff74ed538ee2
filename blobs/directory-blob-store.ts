/**
 * The BlobStore on a directory: the embedded deployment's data directory, or
 * in the distributed one a directory every role mounts (a shared file system
 * with POSIX rename and fsync). An S3-compatible store is not implemented.
 *
 * A blob is the file `<root>/<key>`. A body is written to a temporary file
 * beside it (a name starting with a dot, which no key can have), fsynced,
 * renamed over the key and the directory fsynced: an acknowledged upload
 * survives kill -9 or a power cut, and a refused or interrupted one never
 * shows under its key.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { lstat, mkdir, open, opendir, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { BlobRejectedError, isBlobKey, type BlobExpectation, type BlobListing, type BlobStore, type OpenedBlob, type StoredBlob } from '@strix/contracts';

const incompleteSuffix = '.upload';
// Bodies arrive in chunks of any size (one byte to megabytes): they are gathered into one buffer of this
// size per upload, so the disk sees few large writes and memory stays bounded whatever the body's size.
const writeBufferBytes = 1024 * 1024;
const sha256Hex = /^[0-9a-f]{64}$/;

export class DirectoryBlobStore implements BlobStore {
  readonly root: string;

  private constructor(root: string) {
    this.root = root;
  }

  /** The store in `root`, created when missing. */
  static async open(root: string): Promise<DirectoryBlobStore> {
    const absolute = resolve(root);
    await mkdir(absolute, { recursive: true });
    return new DirectoryBlobStore(absolute);
  }

  async put(key: string, body: AsyncIterable<Uint8Array>, expect: BlobExpectation): Promise<StoredBlob> {
    const path = this.pathOf(key);
    if (!Number.isSafeInteger(expect.size) || expect.size < 0) throw new RangeError(`expected size: must be a whole number of bytes, got ${expect.size}`);
    if (!sha256Hex.test(expect.sha256)) throw new RangeError('expected sha256: must be 64 lower-case hex digits');
    const dir = dirname(path);
    await this.ensureDir(dir);
    const temp = join(dir, `.${basename(path)}.${randomUUID()}${incompleteSuffix}`);
    const file = await open(temp, 'wx');
    let closed = false;
    let renamed = false;
    try {
      const received = await writeBody(file, body, expect);
      await file.sync();
      closed = true;
      await file.close();
      await rename(temp, path);
      renamed = true;
      await syncDir(dir);
      return received;
    } finally {
      if (!closed) await file.close().catch(() => undefined);
      if (!renamed) await rm(temp, { force: true });
    }
  }

  async open(key: string): Promise<OpenedBlob | undefined> {
    let file: FileHandle;
    try {
      file = await open(this.pathOf(key), 'r');
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
    try {
      const stat = await file.stat();
      // A folder of longer keys is no blob.
      if (stat.isFile()) return { size: stat.size, stream: file.createReadStream() };
    } catch (error) {
      await file.close();
      throw error;
    }
    await file.close();
    return undefined;
  }

  async delete(key: string): Promise<void> {
    // Not fsynced: a deletion a crash undoes is repeated by the next cleanup. Directories stay, as a
    // concurrent upload may be about to write into one.
    await rm(this.pathOf(key), { force: true });
  }

  async *list(prefix = ''): AsyncIterable<BlobListing> {
    // Any prefix of a key: its complete segments name the folder to walk.
    if (prefix !== '' && !isBlobKey(prefix.replace(/\/$/, ''))) throw new RangeError(`blob key prefix: "${prefix}" is not a key prefix`);
    const folder = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    for await (const { path, key } of walk(join(this.root, ...folder.split('/').filter(Boolean)), folder)) {
      if (!key.startsWith(prefix) || basename(path).startsWith('.')) continue;
      const stat = await lstat(path).catch(() => undefined);
      if (stat?.isFile()) yield { key, size: stat.size, modifiedMs: stat.mtimeMs };
    }
  }

  async purgeIncomplete(beforeMs: number): Promise<number> {
    let purged = 0;
    for await (const { path } of walk(this.root, '')) {
      const name = basename(path);
      if (!name.startsWith('.') || !name.endsWith(incompleteSuffix)) continue;
      const stat = await lstat(path).catch(() => undefined);
      if (stat && stat.mtimeMs < beforeMs) {
        await rm(path, { force: true });
        purged++;
      }
    }
    return purged;
  }

  private pathOf(key: string): string {
    if (!isBlobKey(key)) throw new RangeError(`blob key: "${key.slice(0, 250)}" is not a key (lower-case letters, digits, _ and - in /-separated segments)`);
    return join(this.root, ...key.split('/'));
  }

  /** Creates `dir` when missing, and makes the folders it created durable. */
  private async ensureDir(dir: string): Promise<void> {
    const first = await mkdir(dir, { recursive: true });
    if (first === undefined) return;
    // Each new folder's entry lives in its parent: fsync from the first one's parent down to dir's parent
    // (dir itself is fsynced after the rename).
    let folder = dirname(first);
    await syncDir(folder);
    for (const segment of relative(folder, dirname(dir)).split(sep).filter(Boolean)) {
      folder = join(folder, segment);
      await syncDir(folder);
    }
  }
}

/** Writes the body to `file`, counting and hashing it; refuses it when it does not match `expect`. */
async function writeBody(file: FileHandle, body: AsyncIterable<Uint8Array>, expect: BlobExpectation): Promise<StoredBlob> {
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(Math.min(writeBufferBytes, Math.max(expect.size, 1)));
  let used = 0;
  let size = 0;
  for await (const chunk of body) {
    if (!(chunk instanceof Uint8Array)) throw new TypeError('body: chunks must be bytes');
    size += chunk.byteLength;
    // Cut off at the first byte over: a lying client cannot make the store write more than it declared.
    if (size > expect.size) throw new BlobRejectedError('too_large', expect, { size });
    hash.update(chunk);
    for (let offset = 0; offset < chunk.byteLength; ) {
      const n = Math.min(chunk.byteLength - offset, buffer.length - used);
      buffer.set(chunk.subarray(offset, offset + n), used);
      used += n;
      offset += n;
      if (used === buffer.length) {
        await writeAll(file, buffer, used);
        used = 0;
      }
    }
  }
  await writeAll(file, buffer, used);
  if (size < expect.size) throw new BlobRejectedError('too_small', expect, { size });
  const sha256 = hash.digest('hex');
  if (sha256 !== expect.sha256) throw new BlobRejectedError('sha256_mismatch', expect, { size, sha256 });
  return { size, sha256 };
}

async function writeAll(file: FileHandle, buffer: Buffer, length: number): Promise<void> {
  for (let done = 0; done < length; ) done += (await file.write(buffer, done, length - done)).bytesWritten;
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Every entry that is not a folder below `dir`, with the key it would have; a folder removed meanwhile is skipped. */
async function* walk(dir: string, key: string): AsyncIterable<{ path: string; key: string }> {
  let entries: AsyncIterable<Dirent>;
  try {
    entries = await opendir(dir);
  } catch (error) {
    if (isMissing(error)) return;
    throw error;
  }
  for await (const entry of entries) {
    const path = join(dir, entry.name);
    const child = key === '' ? entry.name : `${key}/${entry.name}`;
    if (entry.isDirectory()) yield* walk(path, child);
    else yield { path, key: child };
  }
}

function isMissing(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
