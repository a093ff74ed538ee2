// Migrated chDB stores in temporary directories, for the suites of every workspace.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate, sqlDir, upsertProject } from '@strix/warehouse';
import { ChdbWarehouse } from '@strix/warehouse/chdb';

/** A migrated chDB store in a temporary directory with the given projects. */
export async function openStore(...projects: string[]): Promise<{ wh: ChdbWarehouse; dir: string; close: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'strix-store-'));
  const wh = new ChdbWarehouse(join(dir, 'chdb'));
  await migrate(wh, sqlDir);
  for (const project_id of projects) await upsertProject(wh, { project_id, name: project_id, retention_days: 90 });
  return {
    wh,
    dir,
    async close() {
      await wh.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
