/**
 * Start-up recovery of one topic directory: verify every segment, cut a torn
 * tail back to the last whole record, and stop at the first damage anywhere,
 * because offsets are positional and nothing after a hole can be trusted.
 */
import { readdir, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDir } from './durable-files.ts';
import { Segment, parseSegmentFileName, segmentFileName } from './segment.ts';

/** Returns the surviving segments in offset order; the caller creates one if there are none. */
export async function recoverSegments(dir: string, warn: (message: string) => void): Promise<Segment[]> {
  const bases = (await readdir(dir))
    .map(parseSegmentFileName)
    .filter((base): base is number => base !== undefined)
    .sort((a, b) => a - b);
  const segments: Segment[] = [];

  for (const [i, base] of bases.entries()) {
    const expected = segments.at(-1)?.endOffset;
    if (expected !== undefined && base !== expected) {
      await setAside(dir, bases.slice(i), warn, `segment ${segmentFileName(base)} starts at offset ${base}, expected ${expected}`);
      break;
    }
    const segment = Segment.inDir(dir, base, (await stat(join(dir, segmentFileName(base)))).mtimeMs);
    const scan = await segment.scan();
    segments.push(segment);
    if (scan.problem === undefined) continue;

    const dropped = scan.fileBytes - scan.validBytes;
    await segment.truncateTo(scan.validBytes);
    const later = bases.slice(i + 1);
    // A torn tail on the last segment is the normal trace of a crash mid-write;
    // anywhere else it is real damage, so say louder what was lost.
    warn(
      `${segment.path}: ${scan.problem} at byte ${scan.validBytes}; dropped ${dropped} bytes after offset ${segment.endOffset - 1}` +
        (later.length > 0 ? ' (segment was not the last one)' : ''),
    );
    if (later.length > 0) await setAside(dir, later, warn, `damage in ${segmentFileName(base)}`);
    break;
  }
  return segments;
}

/**
 * Later segments cannot be reattached once the offsets before them are gone.
 * They are renamed, not deleted, so an operator can still inspect them.
 */
async function setAside(dir: string, bases: readonly number[], warn: (message: string) => void, reason: string): Promise<void> {
  for (const base of bases) {
    const name = segmentFileName(base);
    await rename(join(dir, name), join(dir, `${name}.lost`));
  }
  await fsyncDir(dir);
  warn(`${dir}: ${reason}; renamed ${bases.length} later segment(s) to *.seg.lost, their records are lost`);
}
