/**
 * Committed offsets of a topic's consumer groups, one file per group:
 * `<topic>/consumers/<group>.offset` holding the decimal next offset on its
 * first line and the commit's metadata, if any, on the second. Replaced
 * atomically, so a crash leaves the old or the new commit, never a torn one.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { MAX_COMMIT_METADATA_BYTES, type CommittedPosition } from '@strix/contracts';
import { writeFileAtomic } from './durable-files.ts';

const OFFSET_SUFFIX = '.offset';
// The group name becomes a file name, so it must not be able to escape the directory.
const GROUP_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;

export function assertGroupName(group: string): void {
  if (!GROUP_NAME.test(group)) {
    throw new Error(
      `consumer group ${JSON.stringify(group)} is invalid: use 1-128 characters from A-Z a-z 0-9 . _ - not starting with a dot`,
    );
  }
}

export function assertCommitMetadata(metadata: string): void {
  if (metadata.includes('\n') || Buffer.byteLength(metadata) > MAX_COMMIT_METADATA_BYTES) {
    throw new RangeError(`commit metadata must be one line of at most ${MAX_COMMIT_METADATA_BYTES} bytes`);
  }
}

export class ConsumerGroups {
  private readonly chains = new Map<string, Promise<void>>();

  private constructor(
    private readonly dir: string,
    private readonly committed: Map<string, CommittedPosition>,
  ) {}

  /** Loads every group with an offset file; offsets past `nextOffset` are pulled back to it. */
  static async load(dir: string, nextOffset: number, warn: (message: string) => void): Promise<ConsumerGroups> {
    const committed = new Map<string, CommittedPosition>();
    for (const name of await readdir(dir)) {
      if (!name.endsWith(OFFSET_SUFFIX)) continue;
      const path = join(dir, name);
      const [text = '', metadata = ''] = (await readFile(path, 'utf8')).split('\n');
      const offset = Number(text);
      // Writes are atomic, so garbage means outside interference: refuse rather than silently replay or skip.
      if (!/^\d+$/.test(text) || !Number.isSafeInteger(offset)) {
        throw new Error(`committed offset file ${path} holds ${JSON.stringify(text)}, not an offset; fix or delete it`);
      }
      // Only possible if recovery dropped committed records (damage, not a crash).
      if (offset > nextOffset) warn(`${path}: committed ${offset} but the log ends at ${nextOffset}; resuming from ${nextOffset}`);
      committed.set(name.slice(0, -OFFSET_SUFFIX.length), { offset: Math.min(offset, nextOffset), metadata });
    }
    return new ConsumerGroups(dir, committed);
  }

  get(group: string): CommittedPosition | undefined {
    return this.committed.get(group);
  }

  offsets(): number[] {
    return [...this.committed.values()].map((c) => c.offset);
  }

  /** Registers the group durably (so retention keeps honouring it after a restart); returns its committed offset. */
  async register(group: string, startOffset: number): Promise<number> {
    assertGroupName(group);
    await this.commit(group, startOffset, '', true);
    return this.committed.get(group)?.offset ?? startOffset;
  }

  /**
   * Persists `nextOffset` if it moves the group forward, or keeps it and replaces
   * the metadata; resolves true if the offset moved. Commits of one group apply
   * in call order, so a slow earlier write never lands last.
   */
  commit(group: string, nextOffset: number, metadata = '', onlyIfNew = false): Promise<boolean> {
    assertCommitMetadata(metadata);
    const previous = this.chains.get(group) ?? Promise.resolve();
    const run = previous.then(async () => {
      const current = this.committed.get(group);
      if (current !== undefined) {
        if (onlyIfNew || nextOffset < current.offset) return false;
        if (nextOffset === current.offset && metadata === current.metadata) return false;
      }
      await writeFileAtomic(join(this.dir, group + OFFSET_SUFFIX), metadata ? `${nextOffset}\n${metadata}\n` : `${nextOffset}\n`);
      this.committed.set(group, { offset: nextOffset, metadata });
      return current === undefined || nextOffset > current.offset;
    });
    // The chain only orders commits; each caller still sees its own failure through `run`.
    this.chains.set(group, run.then(() => undefined, () => undefined));
    return run;
  }

  async settled(): Promise<void> {
    await Promise.all(this.chains.values());
  }
}
