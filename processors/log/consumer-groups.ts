/**
 * Committed offsets of a topic's consumer groups, one file per group:
 * `<topic>/consumers/<group>.offset` holding the decimal next offset. Replaced
 * atomically, so a crash leaves the old or the new value, never a torn one.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
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

export class ConsumerGroups {
  private readonly chains = new Map<string, Promise<void>>();

  private constructor(
    private readonly dir: string,
    private readonly committed: Map<string, number>,
  ) {}

  /** Loads every group with an offset file; offsets past `nextOffset` are pulled back to it. */
  static async load(dir: string, nextOffset: number, warn: (message: string) => void): Promise<ConsumerGroups> {
    const committed = new Map<string, number>();
    for (const name of await readdir(dir)) {
      if (!name.endsWith(OFFSET_SUFFIX)) continue;
      const path = join(dir, name);
      const text = (await readFile(path, 'utf8')).trim();
      const offset = Number(text);
      // Writes are atomic, so garbage means outside interference: refuse rather than silently replay or skip.
      if (!/^\d+$/.test(text) || !Number.isSafeInteger(offset)) {
        throw new Error(`committed offset file ${path} holds ${JSON.stringify(text)}, not an offset; fix or delete it`);
      }
      // Only possible if recovery dropped committed records (damage, not a crash).
      if (offset > nextOffset) warn(`${path}: committed ${offset} but the log ends at ${nextOffset}; resuming from ${nextOffset}`);
      committed.set(name.slice(0, -OFFSET_SUFFIX.length), Math.min(offset, nextOffset));
    }
    return new ConsumerGroups(dir, committed);
  }

  get(group: string): number | undefined {
    return this.committed.get(group);
  }

  offsets(): number[] {
    return [...this.committed.values()];
  }

  /** Registers the group durably (so retention keeps honouring it after a restart); returns its committed offset. */
  async register(group: string, startOffset: number): Promise<number> {
    assertGroupName(group);
    await this.commit(group, startOffset, true);
    return this.committed.get(group) ?? startOffset;
  }

  /**
   * Persists `nextOffset` if it moves the group forward; resolves true if it did.
   * Commits of one group apply in call order, so a slow earlier write never lands last.
   */
  commit(group: string, nextOffset: number, onlyIfNew = false): Promise<boolean> {
    const previous = this.chains.get(group) ?? Promise.resolve();
    const run = previous.then(async () => {
      const current = this.committed.get(group);
      if (current !== undefined && (onlyIfNew || nextOffset <= current)) return false;
      await writeFileAtomic(join(this.dir, group + OFFSET_SUFFIX), `${nextOffset}\n`);
      this.committed.set(group, nextOffset);
      return true;
    });
    // The chain only orders commits; each caller still sees its own failure through `run`.
    this.chains.set(group, run.then(() => undefined, () => undefined));
    return run;
  }

  async settled(): Promise<void> {
    await Promise.all(this.chains.values());
  }
}
