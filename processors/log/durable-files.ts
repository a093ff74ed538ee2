/**
 * The few filesystem moves whose ordering makes a crash safe: a file replaced
 * by write-temp, fsync, rename, fsync-directory is either wholly old or wholly new.
 */
import { open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Makes creations, renames and deletions inside `dir` survive a power cut. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export async function writeFileAtomic(path: string, contents: string): Promise<void> {
  const temp = `${path}.tmp`;
  const handle = await open(temp, 'w');
  try {
    await handle.writeFile(contents, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, path);
  await fsyncDir(dirname(path));
}

export function isErrnoCode(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}
