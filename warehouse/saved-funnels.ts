import { z } from 'zod';
import type { Warehouse } from '@strix/contracts';
import { queryRows } from './query-rows.ts';
import { nextVersion } from './row-version.ts';

/** A saved funnel as the warehouse kept it (times in epoch ms; steps and exclusions as JSON). */
export const FunnelRow = z.object({
  project_id: z.string(),
  funnel_id: z.string(),
  name: z.string(),
  steps: z.string(),
  mode: z.enum(['closed', 'open']),
  window_seconds: z.coerce.number().int(),
  strict_order: z.coerce.boolean(),
  exclusions: z.string(),
  by: z.enum(['user', 'session']),
  created_at: z.coerce.number().int(),
  updated_at: z.coerce.number().int(),
  deleted_at: z.union([z.null(), z.coerce.number().int()]),
});
export type FunnelRow = z.infer<typeof FunnelRow>;

const funnelColumns = `project_id, funnel_id, name, steps, mode, window_seconds, strict_order, exclusions, by,
  toUnixTimestamp64Milli(created_at) AS created_ms, toUnixTimestamp64Milli(updated_at) AS updated_ms,
  if(isNull(deleted_at), NULL, toUnixTimestamp64Milli(assumeNotNull(deleted_at))) AS deleted_ms`;

/** A stored funnel as read back: the `_ms` aliases (an alias named like its column would shadow it) renamed. */
const FunnelRead = z.preprocess((row) => {
  if (typeof row !== 'object' || row === null) return row;
  const { created_ms, updated_ms, deleted_ms, ...rest } = row as Record<string, unknown>;
  return { ...rest, created_at: created_ms, updated_at: updated_ms, deleted_at: deleted_ms };
}, FunnelRow);

/**
 * Writes a version of a saved funnel (a deletion is a version with deleted_at
 * set), as Strix did before saved funnels moved to the control plane: the
 * upgrade suite rebuilds an older install's data with it.
 */
export async function writeFunnel(wh: Warehouse, row: FunnelRow): Promise<void> {
  await wh.insert('funnels', [{ ...row, version: nextVersion() }]);
}

/**
 * Every project's live saved funnels, oldest first: what an install kept here
 * before they moved to the control plane, read once to copy them there. The
 * table stays (read-only) so that copy can run on any later start.
 */
export async function legacySavedFunnels(wh: Warehouse): Promise<FunnelRow[]> {
  return queryRows(wh, 'saved funnels', FunnelRead, `SELECT ${funnelColumns} FROM funnels FINAL WHERE deleted_at IS NULL ORDER BY project_id, created_at, funnel_id`);
}
