import { IngestLimits, type Warehouse } from '@strix/contracts';
import { userPropertyKeys } from '@strix/warehouse';
import type { BatchField, ValidatedBatch } from './validate-events.ts';

const { maxUserPropertyKeys } = IngestLimits;

/**
 * Enforces the 50-keys-per-user limit of user properties at the edge, where a
 * violation can still be told to the client per event. Each user's known keys
 * come from the warehouse once (one query per request for the users not yet
 * cached) and are then kept in a bounded LRU, updated with every accepted key,
 * so a burst of requests for one user is judged against what this process
 * accepted even before the processors have stored it.
 *
 * Two edge processes do not share their caches: on a distributed deployment
 * two concurrent requests for one user may together pass the limit by a few
 * keys. The stored properties stay correct either way.
 */
export class UserPropertyLimits {
  private readonly known = new Map<string, Set<string>>();

  constructor(
    private readonly warehouse: Warehouse,
    private readonly capacity = 100_000,
  ) {}

  /** Moves each event that would give its user more than 50 property keys from `accepted` to `errors`. */
  async enforce(projectId: string, batch: ValidatedBatch, field: BatchField): Promise<void> {
    const users = new Set<string>();
    for (const event of batch.accepted) {
      if (event.user_set || event.user_set_once) users.add(event.user_id?.trim() ?? '');
    }
    if (users.size === 0) return;
    const keys = await this.keysOf(projectId, [...users]);

    const kept: ValidatedBatch = { accepted: [], indexes: [], errors: batch.errors };
    batch.accepted.forEach((event, i) => {
      const index = batch.indexes[i] ?? i;
      const userKeys = event.user_set || event.user_set_once ? keys.get(event.user_id?.trim() ?? '') : undefined;
      if (userKeys) {
        const added = [...Object.keys(event.user_set ?? {}), ...Object.keys(event.user_set_once ?? {})]
          .map((key) => key.trim())
          .filter((key) => key !== '' && !userKeys.has(key));
        const fresh = new Set(added);
        if (userKeys.size + fresh.size > maxUserPropertyKeys) {
          kept.errors.push({
            index,
            message:
              `${field}[${index}].${event.user_set ? '$set' : '$set_once'}: user ${event.user_id} would have ${userKeys.size + fresh.size} properties ` +
              `(${userKeys.size} stored, ${fresh.size} new); at most ${maxUserPropertyKeys} keys per user`,
          });
          return;
        }
        for (const key of fresh) userKeys.add(key);
      }
      kept.accepted.push(event);
      kept.indexes.push(index);
    });
    kept.errors.sort((a, b) => a.index - b.index);
    Object.assign(batch, kept);
  }

  private async keysOf(projectId: string, users: string[]): Promise<Map<string, Set<string>>> {
    const found = new Map<string, Set<string>>();
    const missing: string[] = [];
    for (const user of users) {
      const cacheKey = `${projectId}\u0000${user}`;
      const keys = this.known.get(cacheKey);
      if (keys) {
        // Re-inserted so the Map's order is least recently used first.
        this.known.delete(cacheKey);
        this.known.set(cacheKey, keys);
        found.set(user, keys);
      } else {
        missing.push(user);
      }
    }
    if (missing.length > 0) {
      const rows = await userPropertyKeys(this.warehouse, projectId, missing);
      const stored = new Map(rows.map((row) => [row.user_id, row.keys]));
      for (const user of missing) {
        const keys = new Set(stored.get(user) ?? []);
        found.set(user, keys);
        this.known.set(`${projectId}\u0000${user}`, keys);
      }
      for (const oldest of this.known.keys()) {
        if (this.known.size <= this.capacity) break;
        this.known.delete(oldest);
      }
    }
    return found;
  }
}
