// Migrated chDB stores in temporary directories, for the suites of every workspace.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IssueStateStore, Warehouse } from '@strix/contracts';
import type { ControlPlane } from '@strix/control';
import { deadLetterRow, insertDeadLetters, migrate, sqlDir, upsertProject, type DeadLetterInput } from '@strix/warehouse';
import { ChdbWarehouse } from '@strix/warehouse/chdb';
import { openTestControl, seedProjects } from './control.ts';

/** A project to create: its id, or its id and name. */
export type StoreProject = string | { project_id: string; name: string };

/** A migrated chDB store in a temporary directory with the given projects (retention 90 days). */
export async function openStore(...projects: StoreProject[]): Promise<{ wh: ChdbWarehouse; dir: string; close: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'strix-store-'));
  const wh = new ChdbWarehouse(join(dir, 'chdb'));
  await migrate(wh, sqlDir);
  for (const project of projects) {
    const { project_id, name } = typeof project === 'string' ? { project_id: project, name: project } : project;
    await upsertProject(wh, { project_id, name, retention_days: 90 });
  }
  return {
    wh,
    dir,
    async close() {
      await wh.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A store as `openStore` makes it, beside a control plane in memory holding
 * the same projects: what error tracking runs on (issue state in one, events
 * and counts in the other).
 */
export async function openIssueStores(...projectIds: string[]): Promise<{ wh: ChdbWarehouse; control: ControlPlane; state: IssueStateStore; close: () => Promise<void> }> {
  const store = await openStore(...projectIds);
  const control = await openTestControl();
  await seedProjects(control, ...projectIds.map((id) => ({ id, name: `Project ${id}` })));
  return {
    wh: store.wh,
    control,
    state: control.issueState(),
    async close() {
      await control.close();
      await store.close();
    },
  };
}

export const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Parks dead letters as the processors do, under one insert token (a retried batch keeps one copy). */
export async function seedDeadLetters(wh: Warehouse, letters: readonly DeadLetterInput[], token: string): Promise<void> {
  await insertDeadLetters(wh, letters.map(deadLetterRow), token);
}
