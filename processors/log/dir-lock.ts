/**
 * Single-owner lock on a log directory: `<dir>/LOCK` holds the owner's pid.
 * Two writers would interleave frames and corrupt segments, so a live owner is
 * a hard error; a lock left by a dead process (crash, kill -9) is taken over.
 */
import { readFile, realpath, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isErrnoCode } from './durable-files.ts';

// The pid in LOCK cannot tell two DurableLogs of this process apart, so this
// process remembers which directories it has open. It is process-wide state by nature.
const openInThisProcess = new Set<string>();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return isErrnoCode(error, 'EPERM');
  }
}

async function readLock(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    // Gone already (its owner just released it): as good as stale.
    if (isErrnoCode(error, 'ENOENT')) return '';
    throw error;
  }
}

async function claim(dir: string, path: string): Promise<void> {
  const me = `${process.pid}\n`;
  try {
    await writeFile(path, me, { flag: 'wx' });
    return;
  } catch (error) {
    if (!isErrnoCode(error, 'EEXIST')) throw error;
  }
  const owner = Number((await readLock(path)).trim());
  // Our own pid in a lock we do not hold is stale: e.g. a container restarted and got pid 1 again.
  if (Number.isSafeInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
    throw new Error(
      `log directory ${dir} is locked by running process ${owner}; stop it first (if pid ${owner} is not a Strix process, delete ${path})`,
    );
  }
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, me);
  await rename(temp, path);
}

export class DirLock {
  private released = false;

  private constructor(
    private readonly key: string,
    private readonly path: string,
  ) {}

  static async acquire(dir: string): Promise<DirLock> {
    const key = await realpath(dir);
    if (openInThisProcess.has(key)) {
      throw new Error(`log directory ${dir} is already open in this process; close that DurableLog first`);
    }
    // Claimed before the first await so two concurrent opens here cannot both pass.
    openInThisProcess.add(key);
    const path = join(dir, 'LOCK');
    try {
      await claim(dir, path);
    } catch (error) {
      openInThisProcess.delete(key);
      throw error;
    }
    return new DirLock(key, path);
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    openInThisProcess.delete(this.key);
    try {
      // Only remove the lock if it is still ours.
      if ((await readFile(this.path, 'utf8')).trim() === String(process.pid)) await unlink(this.path);
    } catch (error) {
      if (!isErrnoCode(error, 'ENOENT')) throw error;
    }
  }
}
