import type { StoredWebhookEvent } from '@strix/control';
import { writeUserProperties, type UserPropertyWrite } from '@strix/warehouse';
import type { Warehouse } from '@strix/contracts';
import { RevenueCatError, type CallOptions } from './client.ts';
import type { LinkedProject, RevenueCatLinks } from './links.ts';
import { isAnonymousId, mapWebhookEvent, RevenueCatWebhookBody, type WebhookIds } from './properties.ts';

export interface WebhookDrainDeps {
  readonly warehouse: Warehouse;
  readonly links: RevenueCatLinks;
  readonly now: () => number;
}

export interface WebhookDrainSummary {
  processed: number;
  ignored: number;
  /** Failed this time; they stay pending until their attempts run out. */
  failed: number;
  usersWritten: number;
}

/**
 * The Strix users an event is about: the app user ids it names; an event naming
 * RevenueCat anonymous ids alone is resolved through the API (the customer's
 * aliases), so properties land on the user the app identified, never on an
 * anonymous id.
 */
async function targetUsers(link: LinkedProject, ids: WebhookIds, options: CallOptions): Promise<string[]> {
  if (ids.named.length > 0) return ids.named;
  const users = new Set<string>();
  for (const anonymous of ids.anonymous) {
    const customer = await link.rc.getCustomer(link.revenuecatProjectId, anonymous, options);
    if (!customer) continue;
    for (const alias of await link.rc.listAliases(link.revenuecatProjectId, customer.id, options)) if (!isAnonymousId(alias.id)) users.add(alias.id);
  }
  return [...users];
}

/** The writes one stored event asks for: its mapped properties as of the event, or each customer's state read now. */
async function writesOf(event: StoredWebhookEvent, link: LinkedProject, now: number, options: CallOptions): Promise<UserPropertyWrite[] | 'ignored'> {
  const { event: body } = RevenueCatWebhookBody.parse(event.body);
  const catalogue = await link.catalogue(options);
  const outcome = mapWebhookEvent(body, now, catalogue.durations);
  switch (outcome.kind) {
    case 'ignore':
      return 'ignored';
    case 'set': {
      // At the event's own time: a redelivery writes the same row, and an older event arriving late loses to a newer one.
      const at = body.event_timestamp_ms ?? event.received_at;
      return (await targetUsers(link, outcome.ids, options)).map((userId) => ({ userId, properties: outcome.properties, at }));
    }
    case 'refresh': {
      const writes: UserPropertyWrite[] = [];
      for (const userId of await targetUsers(link, outcome.ids, options)) {
        const read = await link.readCustomer(userId, options);
        if (read) writes.push({ userId, properties: read.properties, at: now });
      }
      return writes;
    }
    default:
      return outcome satisfies never;
  }
}

/**
 * Processes stored webhook events, oldest first: writes their properties, then
 * marks them processed. A crash between the two processes the event again,
 * which writes the same rows. A failure leaves the event pending for the next
 * drain (a key RevenueCat refuses, or a project no longer linked, fails it at once).
 */
export async function drainWebhookEvents(
  deps: WebhookDrainDeps,
  events: readonly StoredWebhookEvent[],
  options: CallOptions & { onEvent?: (done: number) => Promise<void> } = {},
): Promise<WebhookDrainSummary> {
  const store = deps.links.integrations();
  const summary: WebhookDrainSummary = { processed: 0, ignored: 0, failed: 0, usersWritten: 0 };
  const linked = new Map<string, Promise<LinkedProject | undefined>>();
  for (const [i, event] of events.entries()) {
    await options.onEvent?.(i);
    let link = linked.get(event.project_id);
    if (!link) linked.set(event.project_id, (link = deps.links.forProject(event.project_id)));
    try {
      const project = await link;
      if (!project) {
        await store.markWebhookEventFailed(event.project_id, event.event_id, 'the project is no longer linked to RevenueCat', deps.now(), false);
        summary.failed++;
        continue;
      }
      const writes = await writesOf(event, project, deps.now(), options);
      if (writes === 'ignored') summary.ignored++;
      else {
        await writeUserProperties(deps.warehouse, event.project_id, writes);
        summary.usersWritten += writes.length;
        summary.processed++;
      }
      await store.markWebhookEventProcessed(event.project_id, event.event_id, deps.now());
    } catch (error) {
      if (options.signal?.aborted) throw error;
      const retry = !(error instanceof RevenueCatError) || error.retry;
      await store.markWebhookEventFailed(event.project_id, event.event_id, error instanceof Error ? error.message : String(error), deps.now(), retry);
      summary.failed++;
    }
  }
  return summary;
}
