/**
 * One append-only segment file: `<base offset, 20 digits>.seg` holding framed
 * records whose offsets start at the base. Only the last segment of a topic is
 * written to, through a descriptor opened O_DSYNC; its `size` and `records`
 * advance only once a write has returned (its data is then on disk), so
 * readers bounded by them never see bytes that a crash could take back.
 */
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { FRAME_HEADER_BYTES, checkFrame, decodeFrame } from './frame.ts';

const SEGMENT_SUFFIX = '.seg';
const SEGMENT_NAME = /^(\d{20})\.seg$/;
/** A sparse index entry every ~4 KiB bounds both its memory and the bytes a read skips. */
const INDEX_INTERVAL_BYTES = 4096;
const SCAN_CHUNK_BYTES = 1024 * 1024;

export function segmentFileName(baseOffset: number): string {
  return String(baseOffset).padStart(20, '0') + SEGMENT_SUFFIX;
}

export function parseSegmentFileName(name: string): number | undefined {
  const match = SEGMENT_NAME.exec(name);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

export interface OffsetRecord {
  readonly offset: number;
  readonly key: string;
  readonly value: Buffer;
}

/** Shared across the segments one poll reads. */
export interface ReadBudget {
  readonly maxRecords: number;
  readonly maxValueBytes: number;
  readonly chunkBytes: number;
  valueBytes: number;
}

export interface ScanResult {
  /** Bytes of whole, CRC-valid records from the start of the file. */
  readonly validBytes: number;
  readonly fileBytes: number;
  /** Why the scan stopped before the end of the file, if it did. */
  readonly problem: string | undefined;
}

export class Segment {
  /** Durable bytes; everything below is whole, verified records. */
  size = 0;
  /** Durable records. */
  records = 0;
  lastWriteMs: number;
  private writer: FileHandle | undefined;
  private readonly indexOffsets: number[] = [];
  private readonly indexPositions: number[] = [];

  constructor(
    readonly baseOffset: number,
    readonly path: string,
    lastWriteMs: number,
  ) {
    this.lastWriteMs = lastWriteMs;
  }

  static inDir(dir: string, baseOffset: number, lastWriteMs: number): Segment {
    return new Segment(baseOffset, join(dir, segmentFileName(baseOffset)), lastWriteMs);
  }

  get endOffset(): number {
    return this.baseOffset + this.records;
  }

  /**
   * Walks the file verifying every frame and building the sparse index. Stops
   * at the first torn or corrupt frame; the caller decides whether to truncate.
   */
  async scan(): Promise<ScanResult> {
    const handle = await open(this.path, 'r');
    try {
      const fileBytes = (await handle.stat()).size;
      let position = 0;
      let chunkBytes = SCAN_CHUNK_BYTES;
      while (position < fileBytes) {
        const buf = await readAt(handle, position, Math.min(chunkBytes, fileBytes - position));
        let at = 0;
        let stop: string | undefined;
        while (at < buf.length) {
          const check = checkFrame(buf, at);
          if (check.kind === 'corrupt') {
            stop = check.reason;
            break;
          }
          if (check.kind === 'partial') {
            if (position + at + (check.frameBytes ?? FRAME_HEADER_BYTES) > fileBytes) {
              stop = 'record cut short by end of file';
            } else if (at === 0) {
              chunkBytes = Math.max(chunkBytes, check.frameBytes ?? FRAME_HEADER_BYTES);
            }
            break;
          }
          this.noteRecord(position + at, check.frameBytes);
          at += check.frameBytes;
        }
        position += at;
        if (stop !== undefined) return { validBytes: position, fileBytes, problem: stop };
      }
      return { validBytes: position, fileBytes, problem: undefined };
    } finally {
      await handle.close();
    }
  }

  /** Cuts the file back to its valid prefix (torn tail after a crash). */
  async truncateTo(bytes: number): Promise<void> {
    const handle = await open(this.path, 'r+');
    try {
      await handle.truncate(bytes);
      await handle.datasync();
    } finally {
      await handle.close();
    }
  }

  async openForAppend(create: boolean): Promise<void> {
    // O_DSYNC: each write returns once its data (and the size that makes it readable) is on disk, so an append is one
    // call to the thread pool instead of a write and an fdatasync, each a round trip through the event loop.
    const { O_RDWR, O_CREAT, O_EXCL, O_DSYNC } = constants;
    this.writer = await open(this.path, O_RDWR | O_DSYNC | (create ? O_CREAT | O_EXCL : 0));
  }

  async closeWriter(): Promise<void> {
    const writer = this.writer;
    this.writer = undefined;
    await writer?.close();
  }

  /** Writes frames after the durable end, durably (O_DSYNC); only then are they visible to readers. */
  async appendFrames(frames: readonly Buffer[]): Promise<void> {
    if (!this.writer) throw new Error(`log segment ${this.path} is not open for appending`);
    const bytes = Buffer.concat(frames);
    let written = 0;
    while (written < bytes.length) {
      const result = await this.writer.write(bytes, written, bytes.length - written, this.size + written);
      written += result.bytesWritten;
    }
    let position = this.size;
    for (const frame of frames) {
      this.noteRecord(position, frame.length);
      position += frame.length;
    }
    this.lastWriteMs = Date.now();
  }

  /**
   * Appends records from `from` to `out` until the budget is spent ('full') or
   * the segment's durable end is reached ('more'). Opens its own descriptor so a
   * segment deleted by retention mid-read cannot break another reader's handle.
   */
  async read(from: number, out: OffsetRecord[], budget: ReadBudget): Promise<'full' | 'more'> {
    const endBytes = this.size;
    const endOffset = this.endOffset;
    let { offset, position } = this.locate(from);
    let chunkBytes = budget.chunkBytes;
    const handle = await open(this.path, 'r');
    try {
      while (offset < endOffset) {
        const buf = await readAt(handle, position, Math.min(chunkBytes, endBytes - position));
        let at = 0;
        while (offset < endOffset) {
          const check = checkFrame(buf, at);
          if (check.kind === 'corrupt') {
            throw new Error(`log segment ${this.path} is corrupt at byte ${position + at}: ${check.reason}`);
          }
          if (check.kind === 'partial') {
            if (at > 0) break;
            // A record larger than the chunk: grow the read to fit it exactly.
            const needed = check.frameBytes ?? FRAME_HEADER_BYTES + 1;
            if (position + needed > endBytes) {
              throw new Error(`log segment ${this.path} has a record crossing its durable end at byte ${position}`);
            }
            chunkBytes = needed;
            break;
          }
          if (offset >= from) {
            const record = decodeFrame(buf, at);
            if (out.length > 0 && budget.valueBytes + record.value.length > budget.maxValueBytes) return 'full';
            out.push({ offset, key: record.key, value: record.value });
            budget.valueBytes += record.value.length;
            if (out.length >= budget.maxRecords) return 'full';
          }
          offset += 1;
          at += check.frameBytes;
        }
        position += at;
      }
      return 'more';
    } finally {
      await handle.close();
    }
  }

  /** The nearest indexed position at or before `offset`. */
  private locate(offset: number): { offset: number; position: number } {
    let lo = 0;
    let hi = this.indexOffsets.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if ((this.indexOffsets[mid] ?? Infinity) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { offset: this.indexOffsets[lo] ?? this.baseOffset, position: this.indexPositions[lo] ?? 0 };
  }

  private noteRecord(position: number, frameBytes: number): void {
    const lastPosition = this.indexPositions.at(-1);
    if (lastPosition === undefined || position - lastPosition >= INDEX_INTERVAL_BYTES) {
      this.indexOffsets.push(this.endOffset);
      this.indexPositions.push(position);
    }
    this.records += 1;
    this.size = position + frameBytes;
  }
}

async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buf, filled, length - filled, position + filled);
    if (bytesRead === 0) throw new Error(`log segment ended ${length - filled} bytes early at byte ${position + filled}`);
    filled += bytesRead;
  }
  return buf;
}
