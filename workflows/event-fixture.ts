// Test support shared by the chDB-backed suites of this package (not exported from index.ts).
import { join } from 'node:path';
import type { EventRow } from '@strix/warehouse';

export const sqlDir = join(import.meta.dirname, '..', 'sql');

const DAY_MS = 86_400_000;

/** An event `ageDays` old as the processors insert it, carrying the retention it was ingested with. */
export function eventRow(project: string, id: string, ageDays: number, now: number, retentionDays = 90): EventRow {
  return {
    project_id: project, app_id: 'a1', is_dev: false, event_id: id, ts: now - ageDays * DAY_MS, received_at: now,
    name: 'view', level: 'info', message: '', session_id: 's1', user_id: 'u1', source_module: '', screen_name: '',
    environment: 'production', os_version: '', app_version: '1.0.0', build_number: '', device_model: '', locale: '',
    country: '', fingerprint: '', attributes: {}, experiments: {}, retention_days: retentionDays,
    log_topic: 'events', log_partition: 0, log_offset: 0,
  };
}
