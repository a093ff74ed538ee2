import { randomBytes } from 'node:crypto';
import { link, open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from './config.ts';

const fileName = 'secret.key';

/**
 * The server's master key: STRIX_SECRET_KEY, or the data directory's
 * `secret.key`, generated (mode 0600, fsynced) on first start. Roles split over
 * processes each have their own data directory, so they must be given one key.
 */
export async function loadSecretKey(config: Pick<Config, 'secretKeyHex' | 'dataDir' | 'role'>): Promise<Buffer> {
  if (config.secretKeyHex) return Buffer.from(config.secretKeyHex, 'hex');
  const path = join(config.dataDir, fileName);
  const read = async () => {
    const key = Buffer.from((await readFile(path, 'utf8')).trim(), 'hex');
    if (key.length !== 32) throw new Error(`${path} does not hold a 32-byte key in hex; restore it from a backup (secrets sealed with it cannot be opened without it)`);
    return key;
  };
  try {
    return await read();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (config.role !== 'all') console.warn(`[strix] STRIX_SECRET_KEY is unset: generating ${path}; give every role of this deployment the same STRIX_SECRET_KEY`);
  // Written whole beside it, then linked into place: a crash leaves no key or the whole key, never part of one.
  const key = randomBytes(32);
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const file = await open(temp, 'wx', 0o600);
  try {
    await file.writeFile(`${key.toString('hex')}\n`);
    await file.sync();
  } finally {
    await file.close();
  }
  try {
    // link() fails when the name exists: another start placed its key first, and that one is the key.
    await link(temp, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return await read();
  } finally {
    await unlink(temp);
  }
  const dir = await open(config.dataDir, 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
  return key;
}
