import { z } from 'zod';
import type { Warehouse } from '@strix/contracts';
import { queryRows } from './query-rows.ts';

/** What linking an attachment needs of its event: whether it is stored, and what the issue scan groups it by. */
export const AttachmentEvent = z.object({
  app_id: z.string(),
  event_id: z.string(),
  /** Only errors with a fingerprint are grouped into issues. */
  grouped: z.coerce.number().transform((n) => n === 1),
  /** The event's fingerprint (an alias named like the column would shadow it in the query). */
  event_fingerprint: z.string(),
});
export type AttachmentEvent = z.infer<typeof AttachmentEvent>;

/**
 * The stored events among `eventIds` of one project (any app, any time): the
 * events attachments name. Read through the event-id bloom filter, as
 * `storedEventIds` is; a row stored twice (before its merge) comes back once.
 */
export async function attachmentEvents(wh: Warehouse, projectId: string, eventIds: readonly string[]): Promise<AttachmentEvent[]> {
  if (eventIds.length === 0) return [];
  return queryRows(
    wh,
    'attachment events',
    AttachmentEvent,
    `SELECT app_id, event_id, toUInt8(any(level = 'error' AND fingerprint != '')) AS grouped, any(fingerprint) AS event_fingerprint
     FROM events WHERE project_id = {project:String} AND event_id IN {ids:Array(String)}
     GROUP BY app_id, event_id`,
    { project: projectId, ids: eventIds },
  );
}
