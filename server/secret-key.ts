import { randomBytes } from 'node:crypto';
import { open, readFile } from 'node:fs/promises';
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
  try {
    return Buffer.from((await readFile(path, 'utf8')).trim(), 'hex');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (config.role !== 'all') console.warn(`[strix] STRIX_SECRET_KEY is unset: generating ${path}; give every role of this deployment the same STRIX_SECRET_KEY`);
  const key = randomBytes(32);
  try {
    const file = await open(path, 'wx', 0o600);
    try {
      await file.writeFile(`${key.toString('hex')}\n`);
      await file.sync();
    } finally {
      await file.close();
    }
    return key;
  } catch (error) {
    // Another start wrote it first: that one is the key.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return Buffer.from((await readFile(path, 'utf8')).trim(), 'hex');
  }
}
