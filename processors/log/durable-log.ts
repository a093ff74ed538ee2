/**
 * The embedded `Log` adapter: an append-only, fsynced, segmented log per topic
 * under one directory owned by one process.
 *
 *   <dir>/LOCK                              pid of the owning process
 *   <dir>/<topic>/<base offset>.seg         framed records (see frame.ts)
 *   <dir>/<topic>/consumers/<group>.offset  committed next offset per group
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { Topics, type Log, type LogConsumer, type LogRecord, type Topic } from '@strix/contracts';
import { DurableLogConsumer } from './consumer.ts';
import { DirLock } from './dir-lock.ts';
import { fsyncDir } from './durable-files.ts';
import { encodeFrame } from './frame.ts';
import { TopicLog } from './topic-log.ts';

const MiB = 1024 * 1024;
const positiveInt = z.number().int().positive();

const DurableLogOptionsSchema = z.object({
  dir: z.string().min(1),
  segmentBytes: positiveInt.default(64 * MiB),
  /** Consumed segments are deleted once the topic is larger than this... */
  retainBytes: z.number().nonnegative().default(1024 * MiB),
  /** ...or once they are older than this. */
  retainMs: z.number().nonnegative().default(24 * 60 * 60 * 1000),
  /** Extra wait before each flush to batch more appends; 0 batches only what queues during a flush. */
  groupCommitMs: z.number().nonnegative().default(0),
  /**
   * Hard per-topic byte cap. Over it, the oldest sealed segments are deleted even
   * if no group has consumed them: meant for the DLQ, which must stay bounded
   * when nobody drains it. Topics without a cap never lose unconsumed records.
   */
  maxTopicBytes: z.partialRecord(z.enum(Topics), positiveInt).default({}),
});

export type DurableLogOptions = z.input<typeof DurableLogOptionsSchema> & {
  onWarning?: (message: string) => void;
};

export interface TopicStats {
  firstOffset: number;
  nextOffset: number;
  bytes: number;
  segments: number;
}

export interface DurableLogMetrics {
  /** Durable writes to segment files (O_DSYNC); with group commit far fewer than appends. */
  syncs: number;
  appends: number;
  appendedRecords: number;
}

export class DurableLog implements Log {
  private pending = 0;
  private closing: Promise<void> | undefined;
  private readonly counters: DurableLogMetrics = { syncs: 0, appends: 0, appendedRecords: 0 };

  private constructor(
    private readonly topics: ReadonlyMap<Topic, TopicLog>,
    private readonly lock: DirLock,
    private readonly warn: (message: string) => void,
  ) {}

  static async open(options: DurableLogOptions): Promise<DurableLog> {
    const { onWarning, ...rest } = options;
    const parsed = DurableLogOptionsSchema.safeParse(rest);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      throw new Error(`invalid DurableLog options: ${issues}`);
    }
    const config = parsed.data;
    const warn = onWarning ?? (() => undefined);
    await mkdir(config.dir, { recursive: true });
    const lock = await DirLock.acquire(config.dir);
    const topics = new Map<Topic, TopicLog>();
    const log = new DurableLog(topics, lock, warn);
    try {
      // Every topic is a known constant, so all are opened up front and `stats` can stay synchronous.
      for (const topic of Object.values(Topics)) {
        const dir = join(config.dir, topic);
        // A new topic directory's entry must be durable before records in it are acknowledged.
        if ((await mkdir(dir, { recursive: true })) !== undefined) await fsyncDir(config.dir);
        const opened = await TopicLog.open(dir, topic, {
          segmentBytes: config.segmentBytes,
          groupCommitMs: config.groupCommitMs,
          retainBytes: config.retainBytes,
          retainMs: config.retainMs,
          maxTopicBytes: config.maxTopicBytes[topic],
          warn,
          onSync: () => {
            log.counters.syncs += 1;
          },
        });
        topics.set(topic, opened);
      }
    } catch (error) {
      await Promise.allSettled([...topics.values()].map((t) => t.close()));
      await lock.release();
      throw error;
    }
    return log;
  }

  private topic(topic: Topic): TopicLog {
    const found = this.topics.get(topic);
    if (!found) throw new Error(`unknown log topic ${JSON.stringify(topic)}; expected one of ${Object.values(Topics).join(', ')}`);
    return found;
  }

  async append(topic: Topic, records: readonly LogRecord[]): Promise<void> {
    const target = this.topic(topic);
    if (this.closing) throw new Error(`log is closed; cannot append to ${topic}`);
    if (records.length === 0) return;
    // Encode everything first: a bad record rejects the whole call before any byte is queued.
    const frames = records.map(encodeFrame);
    const bytes = frames.reduce((sum, f) => sum + f.length, 0);
    this.pending += bytes;
    this.counters.appends += 1;
    try {
      await target.append(frames);
      this.counters.appendedRecords += records.length;
    } finally {
      this.pending -= bytes;
    }
  }

  async consumer(topic: Topic, group: string): Promise<LogConsumer> {
    const target = this.topic(topic);
    if (this.closing) throw new Error(`log is closed; cannot create consumer ${group} on ${topic}`);
    const committed = await target.registerGroup(group);
    return new DurableLogConsumer(target, topic, group, this.warn, committed);
  }

  pendingBytes(): number {
    return this.pending;
  }

  stats(topic: Topic): TopicStats {
    const t = this.topic(topic);
    return { firstOffset: t.firstOffset, nextOffset: t.nextOffset, bytes: t.bytes, segments: t.segmentCount };
  }

  metrics(): DurableLogMetrics {
    return { ...this.counters };
  }

  /** Runs a retention pass on every topic now (it also runs by itself after commits, at most once a second). */
  async retain(): Promise<void> {
    await Promise.all([...this.topics.values()].map((t) => t.retain()));
  }

  /** Flushes queued appends and releases the directory. Safe to call more than once. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      try {
        await Promise.all([...this.topics.values()].map((t) => t.close()));
      } finally {
        await this.lock.release();
      }
    })();
    return this.closing;
  }
}

export async function openDurableLog(options: DurableLogOptions): Promise<DurableLog> {
  return DurableLog.open(options);
}
