// Test support for the chDB-backed suites of this package (not exported from index.ts).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate, upsertProject, type EventRow } from '@strix/warehouse';
import { ChdbWarehouse } from '@strix/warehouse/chdb';

export const sqlDir = join(import.meta.dirname, '..', 'sql');

let sequence = 0;

/** An error event as the processors insert it; `fingerprint` stands in for the grouping step's hash. */
export function errorRow(fields: Partial<EventRow> & { project_id: string; fingerprint: string }): EventRow {
  sequence += 1;
  return {
    app_id: 'app', is_dev: false, event_id: `e${sequence}`, ts: Date.now(), received_at: Date.now(),
    name: 'error', level: 'error', message: 'Boom', session_id: `s${sequence}`, user_id: '', source_module: '',
    screen_name: '', environment: 'production', os_version: '', app_version: '', build_number: '', device_model: '',
    locale: '', country: '', attributes: {}, experiments: {}, retention_days: 90, log_topic: 'events', log_partition: 0,
    log_offset: sequence, grouping_config: 'strix-2', fingerprint_previous: '', exception_type: '', culprit: '', stack_frames: '',
    ...fields,
  };
}

/** A migrated chDB store in a temporary directory with the given projects. */
export async function openStore(...projects: string[]): Promise<{ wh: ChdbWarehouse; close: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'strix-issues-'));
  const wh = new ChdbWarehouse(join(dir, 'chdb'));
  await migrate(wh, sqlDir);
  for (const project_id of projects) await upsertProject(wh, { project_id, name: project_id, retention_days: 90 });
  return {
    wh,
    async close() {
      await wh.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
