// Test support for the chDB-backed suites of this package (not exported from index.ts).
import type { EventRow } from '@strix/warehouse';
import { eventRow } from '@strix/warehouse/fixtures';

export { openStore, pause, sqlDir } from '@strix/warehouse/fixtures';

/** An error event as the processors insert it; `fingerprint` stands in for the grouping step's hash. */
export function errorRow(fields: Partial<EventRow> & { project_id: string; fingerprint: string }): EventRow {
  return eventRow({ name: 'error', level: 'error', message: 'Boom', ...fields });
}
