// Test support for chDB-backed suites across workspaces (`@strix/warehouse/fixtures`; not exported from index.ts).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChdbWarehouse } from './chdb-warehouse.ts';
import type { EventRow } from './events.ts';
import { upsertProject } from './metadata.ts';
import { migrate } from './migrate.ts';

export const sqlDir = join(import.meta.dirname, '..', 'sql');

let sequence = 0;

/** An info-level log event as the processors insert it, with every column filled; `fields` override. */
export function eventRow(fields: Partial<EventRow> & { project_id: string }): EventRow {
  sequence += 1;
  return {
    app_id: 'app', is_dev: false, event_id: `e${sequence}`, ts: Date.now(), received_at: Date.now(),
    name: 'event', level: 'info', message: 'event', session_id: `s${sequence}`, user_id: '', source_module: '',
    screen_name: '', environment: 'production', os_version: '', app_version: '', build_number: '', device_model: '',
    locale: '', country: '', fingerprint: '', attributes: {}, experiments: {}, retention_days: 90, log_topic: 'events',
    log_partition: 0, log_offset: sequence, grouping_config: 'strix-2', fingerprint_previous: '', exception_type: '',
    culprit: '', stack_frames: '',
    ...fields,
  };
}

/** A migrated chDB store in a temporary directory with the given projects. */
export async function openStore(...projects: string[]): Promise<{ wh: ChdbWarehouse; close: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'strix-store-'));
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
