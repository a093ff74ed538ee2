import { knownUserIds, writeUserProperties, type UserPropertyWrite } from '@strix/warehouse';
import type { ActivityDeps } from '../activities.ts';
import type { JobBody, JobContext, JobSummary } from '../jobs.ts';
import { RevenueCatError } from './client.ts';
import { RevenueCatLinks, type LinkedProject } from './links.ts';
import { isAnonymousId } from './properties.ts';
import { drainWebhookEvents } from './webhook-events.ts';

/** Customers (backfill) or users (sync) per step: a step is a minute or two of requests at most, and what a killed worker redoes. */
export const customersPerStep = 50;
/** Webhook events per drain; the rest wait for the next minute. */
export const webhookEventsPerDrain = 500;
/** How long an ended webhook delivery is kept (a redelivery within it is recognised), and how many a drain purges. */
export const webhookEventsKeptMs = 30 * 86_400_000;
const webhookEventsPurgedPerDrain = 1_000;
/** Steps in a row that RevenueCat failed (5xx past the client's retries, a Retry-After too long to wait inside a call) before the run fails. */
const failedStepsAllowed = 5;
/** The longest a step waits for RevenueCat before it hands its page to the next step: below the 15-minute step timeout. */
const longestWaitMs = 5 * 60_000;

interface PageCursor {
  /** The last customer (backfill) or user (sync) id done; '' at the start. */
  after: string;
  processed: number;
  written: number;
  /** RevenueCat failures of the steps just before this one. */
  failures: number;
}

const startCursor: PageCursor = { after: '', processed: 0, written: 0, failures: 0 };

function cursorOf(value: unknown): PageCursor {
  const c = value as Partial<PageCursor> | undefined;
  return typeof c?.after === 'string' ? { ...startCursor, ...c } : startCursor;
}

/** Waits, reporting progress every few seconds so a cancellation ends the wait (`ctx.progress` throws). */
async function waitCancellably(ctx: JobContext, ms: number, message: string): Promise<void> {
  const until = Date.now() + ms;
  for (let left = ms; left > 0; left = until - Date.now()) {
    await ctx.progress({ message });
    await new Promise((resolve) => setTimeout(resolve, Math.min(left, 5_000)));
  }
}

/**
 * One step over a page of ids: `read` gives each one's writes. A RevenueCat
 * failure that retrying inside the call could not get past (a long
 * Retry-After, 5xx after every attempt) waits, then hands the same page to the
 * next step; the writes are idempotent, so redoing part of a page changes nothing.
 */
async function pageStep(
  ctx: JobContext,
  what: string,
  page: (after: string) => Promise<{ ids: string[]; next: string | undefined }>,
  read: (id: string) => Promise<UserPropertyWrite[]>,
  write: (writes: UserPropertyWrite[]) => Promise<void>,
): Promise<JobSummary | { continueFrom: PageCursor }> {
  const cursor = cursorOf(ctx.run.cursor);
  const progress = (c: PageCursor, message: string) => ctx.progress({ processed: c.processed, total: null, message }, c);
  await progress(cursor, `reading ${what} after ${JSON.stringify(cursor.after)}`);
  try {
    const { ids, next } = await page(cursor.after);
    const writes: UserPropertyWrite[] = [];
    for (const [i, id] of ids.entries()) {
      writes.push(...(await read(id)));
      if (i % 10 === 9) await ctx.progress({ processed: cursor.processed + i + 1, message: `${what}: ${cursor.processed + i + 1} read` });
    }
    await write(writes);
    const done: PageCursor = { after: ids.at(-1) ?? cursor.after, processed: cursor.processed + ids.length, written: cursor.written + writes.length, failures: 0 };
    if (next === undefined) return { [what]: done.processed, usersWritten: done.written };
    await progress(done, `${what}: ${done.processed} read, ${done.written} users written`);
    return { continueFrom: done };
  } catch (error) {
    if (!(error instanceof RevenueCatError) || !error.retry || cursor.failures + 1 >= failedStepsAllowed) throw error;
    const wait = Math.min(longestWaitMs, error.retryAfterMs ?? 30_000 * 2 ** cursor.failures);
    await waitCancellably(ctx, wait, `RevenueCat: ${error.message}; trying the page again in ${Math.ceil(wait / 1000)} s`);
    return { continueFrom: { ...cursor, failures: cursor.failures + 1 } };
  }
}

/**
 * `revenuecat_sync` (the project's known users, each read with v2 "Get a
 * customer", which never creates one), `revenuecat_backfill` (every customer
 * of the linked RevenueCat project, by the v2 list's cursor) and the
 * minute-interval `revenuecat_webhooks` drain. Long runs go a page per step and
 * resume from their cursor; every RevenueCat call of a key goes through one
 * client per activities object, within its rate limit.
 */
export function revenueCatJobBodies(deps: ActivityDeps): { revenuecat_sync: JobBody; revenuecat_backfill: JobBody; revenuecat_webhooks: JobBody } {
  const now = deps.now ?? Date.now;
  const links = new RevenueCatLinks({
    directory: deps.directory,
    ...(deps.secretKey && { secretKey: deps.secretKey }),
    settings: { ...(deps.revenueCatUrl && { baseUrl: deps.revenueCatUrl }), ...(deps.revenueCatClient && { client: deps.revenueCatClient }) },
    now,
  });
  const linkedProject = async (ctx: JobContext): Promise<{ projectId: string; link: LinkedProject }> => {
    const projectId = ctx.run.projectId;
    if (projectId === null) throw new Error(`${ctx.run.job} runs for one project; trigger it with POST /v1/jobs/${ctx.run.job}`);
    const link = await links.forProject(projectId);
    if (!link) throw new Error('this project is not linked to RevenueCat: PUT /v1/integrations/revenuecat first');
    return { projectId, link };
  };
  const write = (projectId: string) => (writes: UserPropertyWrite[]) => writeUserProperties(deps.warehouse, projectId, writes);

  return {
    async revenuecat_sync(ctx) {
      const { projectId, link } = await linkedProject(ctx);
      return pageStep(
        ctx,
        'users',
        async (after) => {
          const ids = await knownUserIds(deps.warehouse, projectId, after, customersPerStep);
          return { ids, next: ids.length < customersPerStep ? undefined : ids.at(-1) };
        },
        async (userId) => {
          if (isAnonymousId(userId)) return [];
          const read = await link.readCustomer(userId);
          return read ? [{ userId, properties: read.properties, at: now() }] : [];
        },
        write(projectId),
      );
    },

    async revenuecat_backfill(ctx) {
      const { projectId, link } = await linkedProject(ctx);
      const project = link.revenuecatProjectId;
      return pageStep(
        ctx,
        'customers',
        async (after) => {
          const page = await link.rc.listCustomers(project, { limit: customersPerStep, ...(after && { startingAfter: after }) });
          return { ids: page.items.map((c) => c.id), next: page.nextCursor };
        },
        async (customerId) => {
          // A customer the app identified carries its app user id, the Strix user id; one known only by an
          // anonymous id is written to the ids it was aliased to, and skipped when it has none.
          const users = isAnonymousId(customerId)
            ? (await link.rc.listAliases(project, customerId)).map((a) => a.id).filter((id) => !isAnonymousId(id))
            : [customerId];
          if (users.length === 0) return [];
          const read = await link.readCustomer(customerId);
          const at = now();
          return read ? users.map((userId) => ({ userId, properties: read.properties, at })) : [];
        },
        write(projectId),
      );
    },

    async revenuecat_webhooks(ctx) {
      // No master key, no integration can have been linked in this deployment.
      if (!deps.secretKey) return { skipped: 'no master key: no RevenueCat integration can be linked' };
      const store = links.integrations();
      const events = await store.pendingWebhookEvents(webhookEventsPerDrain, ctx.run.projectId ?? undefined);
      await ctx.progress({ processed: 0, total: events.length, message: `${events.length} webhook events pending` });
      const summary = await drainWebhookEvents({ warehouse: deps.warehouse, links, now }, events, {
        onEvent: (done) => (done > 0 && done % 25 === 0 ? ctx.progress({ processed: done }) : Promise.resolve()),
      });
      const purged = await store.purgeWebhookEvents(now() - webhookEventsKeptMs, webhookEventsPurgedPerDrain);
      return { ...summary, purged };
    },
  };
}
