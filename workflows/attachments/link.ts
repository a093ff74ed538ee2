import type { IssueStateReads, Warehouse } from '@strix/contracts';
import { linkEvent, linkIssue, listAttachmentEventsAwaitingLink, type ControlDb, type ControlPlane } from '@strix/control';
import { attachmentEvents } from '@strix/warehouse';

export interface AttachmentLinkDeps {
  warehouse: Warehouse;
  db: ControlDb;
  /** The fingerprint routes the scan writes (the issue state). */
  issueState: Pick<IssueStateReads, 'routes'>;
}

export interface AttachmentLinkSummary {
  /** Attachments linked to their stored event (and, for a grouped error, its issue). */
  linkedEvents: number;
  linkedIssues: number;
  /** Events named by attachments that are not stored yet, or grouped errors not routed yet: the next scan tries again. */
  waiting: number;
}

/** Events looked up per scan; attachments whose events never come are purged by `attachment_cleanup`, not retried forever. */
const eventsPerScan = 5_000;

/**
 * Links a project's attachments to their events once these are stored, and to
 * the events' issues, so the file outlives the event's retention. Run after the
 * project's issue scan: an error that reached the warehouse before the scan's
 * window closed is routed by then. An error not routed yet (stored after the
 * window) is left unlinked, event included, so the next scan links both; any
 * other event (not an error, or without a fingerprint) never gets an issue and
 * is linked to its event alone. Idempotent.
 */
export async function linkProjectAttachments(deps: AttachmentLinkDeps, projectId: string): Promise<AttachmentLinkSummary> {
  const awaiting = await listAttachmentEventsAwaitingLink(deps.db, projectId, eventsPerScan);
  const summary: AttachmentLinkSummary = { linkedEvents: 0, linkedIssues: 0, waiting: 0 };
  if (awaiting.length === 0) return summary;
  const stored = await attachmentEvents(deps.warehouse, projectId, [...new Set(awaiting.map((a) => a.client_event_id))]);
  const byKey = new Map(stored.map((e) => [`${e.app_id}\u0000${e.event_id}`, e]));
  const grouped = stored.filter((e) => e.grouped);
  const routes = await deps.issueState.routes(projectId, [...new Set(grouped.map((e) => e.event_fingerprint))]);
  const issueOf = new Map(routes.map((r) => [r.fingerprint, r.issue_id]));
  for (const { app_id: appId, client_event_id: clientEventId } of awaiting) {
    const event = byKey.get(`${appId}\u0000${clientEventId}`);
    const issueId = event?.grouped ? issueOf.get(event.event_fingerprint) : undefined;
    if (!event || (event.grouped && issueId === undefined)) {
      summary.waiting++;
      continue;
    }
    // One transaction: an attachment linked to its event is never listed as awaiting again, so its issue comes with it.
    await deps.db.transaction(async (tx) => {
      summary.linkedEvents += await linkEvent(tx, { projectId, appId, clientEventId, eventId: event.event_id });
      if (issueId !== undefined) summary.linkedIssues += await linkIssue(tx, { projectId, eventId: event.event_id, issueId });
    });
  }
  return summary;
}

/** `linkProjectAttachments` over the control plane, for the issue scan to call after each project's scan. */
export function attachmentLinker(deps: { warehouse: Warehouse; directory: ControlPlane }): (projectId: string) => Promise<AttachmentLinkSummary> {
  return (projectId) => linkProjectAttachments({ warehouse: deps.warehouse, db: deps.directory.db, issueState: deps.directory.issueState() }, projectId);
}
