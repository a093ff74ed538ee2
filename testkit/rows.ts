// The one builder of stored event rows for every suite and bench.
import type { EventRow } from '@strix/warehouse';

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

/** An error event as the processors insert it; `fingerprint` stands in for the grouping step's hash. */
export function errorRow(fields: Partial<EventRow> & { project_id: string; fingerprint: string }): EventRow {
  return eventRow({ name: 'error', level: 'error', message: 'Boom', ...fields });
}

export const DAY_MS = 86_400_000;

/** An event `ageDays` old at `now`, as the retention suites need it, carrying the retention it was ingested with. */
export function agedEventRow(project: string, id: string, ageDays: number, now: number, retentionDays = 90): EventRow {
  return eventRow({
    project_id: project, app_id: 'a1', event_id: id, ts: now - ageDays * DAY_MS, received_at: now, name: 'view', message: '',
    session_id: 's1', user_id: 'u1', app_version: '1.0.0', retention_days: retentionDays, log_offset: 0,
  });
}
