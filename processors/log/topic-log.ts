/**
 * One topic (single partition) of the durable log: its segments, the group
 * commit writer, readers waiting for appends, consumer group offsets and retention.
 */
import { mkdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppendSignal } from './append-signal.ts';
import { ConsumerGroups } from './consumer-groups.ts';
import { fsyncDir, isErrnoCode } from './durable-files.ts';
import { recoverSegments } from './recover.ts';
import { planRetention, type RetentionPolicy } from './retention.ts';
import { Segment, type OffsetRecord, type ReadBudget } from './segment.ts';

/** Retention runs at most this often on its own, so frequent commits stay cheap. */
const RETENTION_INTERVAL_MS = 1000;

export interface TopicLogOptions extends RetentionPolicy {
  readonly segmentBytes: number;
  readonly groupCommitMs: number;
  readonly warn: (message: string) => void;
  /** Called once per durable write to a segment, for metrics. */
  readonly onSync: () => void;
}

interface PendingAppend {
  readonly frames: readonly Buffer[];
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

export class TopicLog {
  private queue: PendingAppend[] = [];
  private flushing = false;
  private idle: Promise<void> = Promise.resolve();
  private failure: Error | undefined;
  private closed = false;
  private readonly appended = new AppendSignal();
  private retention: Promise<void> = Promise.resolve();
  private retentionTimer: NodeJS.Timeout | undefined;
  private lastRetentionMs = 0;

  private constructor(
    readonly name: string,
    private readonly dir: string,
    private readonly segments: Segment[],
    /** Committed next offset of every registered group, for lag and retention. */
    readonly groups: ConsumerGroups,
    private readonly options: TopicLogOptions,
  ) {}

  static async open(dir: string, name: string, options: TopicLogOptions): Promise<TopicLog> {
    const consumersDir = join(dir, 'consumers');
    if ((await mkdir(consumersDir, { recursive: true })) !== undefined) await fsyncDir(dir);
    const segments = await recoverSegments(dir, options.warn);
    let active = segments.at(-1);
    if (active === undefined) {
      active = Segment.inDir(dir, 0, Date.now());
      await active.openForAppend(true);
      await fsyncDir(dir);
      segments.push(active);
    } else {
      await active.openForAppend(false);
    }
    const groups = await ConsumerGroups.load(consumersDir, active.endOffset, options.warn);
    const topic = new TopicLog(name, dir, segments, groups, options);
    topic.scheduleRetention();
    return topic;
  }

  get firstOffset(): number {
    return this.segments[0]?.baseOffset ?? 0;
  }

  /** One past the last durable record. */
  get nextOffset(): number {
    return this.active.endOffset;
  }

  get bytes(): number {
    return this.segments.reduce((sum, s) => sum + s.size, 0);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  private get active(): Segment {
    const active = this.segments.at(-1);
    if (!active) throw new Error(`log topic ${this.name} has no segments`);
    return active;
  }

  /** Resolves once the frames are written durably, in order after every earlier append. */
  append(frames: readonly Buffer[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`log is closed; cannot append to ${this.name}`));
    if (this.failure) {
      return Promise.reject(
        new Error(`log topic ${this.name} stopped accepting appends after a write failure; restart to recover: ${this.failure.message}`),
      );
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ frames, resolve, reject });
      if (!this.flushing) {
        this.flushing = true;
        this.idle = this.flushLoop();
      }
    });
  }

  /**
   * Group commit: everything queued while one durable write runs goes out in
   * the next single one, so concurrent appenders share the cost of reaching the disk.
   */
  private async flushLoop(): Promise<void> {
    while (this.queue.length > 0) {
      if (this.options.groupCommitMs > 0) await sleep(this.options.groupCommitMs);
      const batch = this.queue;
      this.queue = [];
      try {
        await this.writeBatch(batch);
        for (const append of batch) append.resolve();
      } catch (error) {
        // After a failed write or fsync the file's state is unknown (the kernel may
        // have dropped the dirty pages), so stop; recovery on restart re-verifies it.
        this.failure = error instanceof Error ? error : new Error(String(error));
        for (const append of [...batch, ...this.queue]) append.reject(this.failure);
        this.queue = [];
      }
      this.wake();
    }
    this.flushing = false;
    if (this.bytes > Math.min(this.options.retainBytes, this.options.maxTopicBytes ?? Infinity)) this.scheduleRetention();
  }

  private async writeBatch(batch: readonly PendingAppend[]): Promise<void> {
    let segment = this.active;
    let chunk: Buffer[] = [];
    let chunkBytes = 0;
    for (const append of batch) {
      for (const frame of append.frames) {
        const used = segment.size + chunkBytes;
        if (used > 0 && used + frame.length > this.options.segmentBytes) {
          await this.sync(segment, chunk);
          chunk = [];
          chunkBytes = 0;
          segment = await this.roll();
        }
        chunk.push(frame);
        chunkBytes += frame.length;
      }
    }
    await this.sync(segment, chunk);
  }

  private async sync(segment: Segment, frames: readonly Buffer[]): Promise<void> {
    if (frames.length === 0) return;
    await segment.appendFrames(frames);
    this.options.onSync();
    this.wake();
  }

  private async roll(): Promise<Segment> {
    const sealed = this.active;
    await sealed.closeWriter();
    const next = Segment.inDir(this.dir, sealed.endOffset, Date.now());
    await next.openForAppend(true);
    // The new file's directory entry must be durable before records in it are acknowledged.
    await fsyncDir(this.dir);
    this.segments.push(next);
    return next;
  }

  /** Durable records from `from` within the budget; fewer (even none) if retention races the read. */
  async read(from: number, budget: ReadBudget): Promise<OffsetRecord[]> {
    const out: OffsetRecord[] = [];
    // A snapshot: retention may drop segments from the live array while this awaits.
    const segments = this.segments.slice(this.segmentIndexFor(from));
    let position = from;
    try {
      for (const segment of segments) {
        position = Math.max(position, segment.baseOffset);
        if (position >= segment.endOffset) continue;
        if ((await segment.read(position, out, budget)) === 'full') break;
      }
    } catch (error) {
      // Deleted by retention mid-read: return what we have; the consumer skips ahead next poll.
      if (!isErrnoCode(error, 'ENOENT')) throw error;
    }
    return out;
  }

  private segmentIndexFor(offset: number): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if ((this.segments[mid]?.baseOffset ?? Infinity) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Resolves on the next durable append, after `ms`, on abort, or on close, whichever is first. */
  waitForAppend(ms: number, signal: AbortSignal | undefined): Promise<void> {
    return this.appended.wait(ms, signal);
  }

  /** Wakes every waiting poll, e.g. when a consumer closes. */
  wake(): void {
    this.appended.notify();
  }

  /** Registers the group durably; a new group starts at the oldest record. Returns its committed offset. */
  registerGroup(group: string): Promise<number> {
    return this.groups.register(group, this.firstOffset);
  }

  /** Persists `nextOffset` (and its metadata) for the group unless it would move back. */
  async commit(group: string, nextOffset: number, metadata = ''): Promise<void> {
    if (!Number.isSafeInteger(nextOffset) || nextOffset < 0 || nextOffset > this.nextOffset) {
      throw new RangeError(`cannot commit offset ${nextOffset} for ${this.name}/${group}: must be an integer from 0 to ${this.nextOffset}`);
    }
    if (await this.groups.commit(group, nextOffset, metadata)) this.scheduleRetention();
  }

  private scheduleRetention(): void {
    if (this.retentionTimer !== undefined || this.closed) return;
    const delay = Math.max(0, this.lastRetentionMs + RETENTION_INTERVAL_MS - Date.now());
    this.retentionTimer = setTimeout(() => {
      this.retentionTimer = undefined;
      this.retain().catch((error: unknown) => this.options.warn(`${this.name}: retention failed: ${String(error)}`));
    }, delay);
    this.retentionTimer.unref();
  }

  /** One retention pass now. Appends never wait for it: it only touches sealed segments. */
  retain(): Promise<void> {
    const run = this.retention.then(() => this.retainOnce());
    this.retention = run.catch(() => undefined);
    return run;
  }

  private async retainOnce(): Promise<void> {
    const now = Date.now();
    this.lastRetentionMs = now;
    const plan = planRetention(
      this.segments.map((s) => ({ baseOffset: s.baseOffset, endOffset: s.endOffset, bytes: s.size, lastWriteMs: s.lastWriteMs })),
      this.groups.offsets(),
      this.options,
      now,
    );
    if (plan.deleteCount === 0) return;
    // Removed from the array synchronously, so readers and later passes stop seeing them at once.
    const doomed = this.segments.splice(0, plan.deleteCount);
    if (plan.unconsumedRecords > 0) {
      this.options.warn(
        `${this.name}: over its ${this.options.maxTopicBytes} byte cap; deleted ${plan.unconsumedRecords} records not yet consumed by every group`,
      );
    }
    for (const segment of doomed) {
      try {
        await unlink(segment.path);
      } catch (error) {
        if (!isErrnoCode(error, 'ENOENT')) throw error;
      }
    }
  }

  /** Waits for queued appends, stops retention and closes the active segment. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.idle;
    clearTimeout(this.retentionTimer);
    this.retentionTimer = undefined;
    await this.retention;
    await this.groups.settled();
    this.appended.close();
    await this.active.closeWriter();
  }
}
