import { z } from 'zod';
import type { Warehouse } from '@strix/contracts';
import { recentOccurrences } from './issue-occurrences.ts';
import { queryRows } from './query-rows.ts';

/**
 * What `events` keeps of one error that grouping read: its inputs as stored, and what
 * grouping decided (`fingerprint` under `grouping_config`). Not kept: the client's
 * fingerprint and the exception's value, which grouping may also have read.
 */
export const StoredError = z.object({
  fingerprint: z.string(),
  grouping_config: z.string(),
  app_id: z.string(),
  is_dev: z.boolean(),
  message: z.string(),
  source_module: z.string(),
  exception_type: z.string(),
  /** The frames as validated, as JSON; '' when the error had none. */
  stack_frames: z.string(),
  /** When the error happened (client time), epoch ms. */
  ts_ms: z.coerce.number(),
});
export type StoredError = z.infer<typeof StoredError>;

/**
 * The stored error of `fingerprint` at `atMs` (an occurrence's `last_seen`), found
 * through the events key: the time's day narrows the read to one day of the project.
 * (`ts_ms`, not `ts`: a SELECT alias would shadow the column in WHERE.)
 */
export async function storedErrorAt(wh: Warehouse, projectId: string, fingerprint: string, atMs: number): Promise<StoredError | undefined> {
  const rows = await queryRows(
    wh,
    'issue stored errors',
    StoredError,
    `SELECT fingerprint, grouping_config, app_id, is_dev, message, source_module, exception_type, stack_frames,
       toUnixTimestamp64Milli(ts) AS ts_ms
     FROM events
     WHERE project_id = {project:String} AND toDate(ts) = toDate(fromUnixTimestamp64Milli({at:Int64}, 'UTC'))
       AND ts = fromUnixTimestamp64Milli({at:Int64}, 'UTC') AND fingerprint = {fp:String} AND level = 'error'
     LIMIT 1`,
    { project: projectId, at: atMs, fp: fingerprint },
  );
  return rows[0];
}

/** The latest stored error of any of an issue's fingerprints; undefined when none is left (retention). */
export async function latestIssueError(wh: Warehouse, projectId: string, fingerprints: readonly string[]): Promise<StoredError | undefined> {
  const [latest] = await recentOccurrences(wh, projectId, fingerprints, 1);
  return latest === undefined ? undefined : storedErrorAt(wh, projectId, latest.fingerprint, latest.last_seen);
}
