import { z } from 'zod';

/**
 * RevenueCat's webhook deliveries, the boundary the API validates
 * (`POST /v1/webhooks/revenuecat/:projectId`) and the jobs map to properties
 * (@strix/workflows/revenuecat).
 */
const requiredId = z.string({ message: 'is required' }).min(1, { message: 'is required' }).max(1500, { message: 'must be at most 1500 characters' });
const idList = z.array(z.string().max(1500, { message: 'must be at most 1500 characters' }), { message: 'must be a list of ids' }).nullish();
const millis = z.number({ message: 'must be epoch milliseconds' }).nullish();
const word = z.string().max(200, { message: 'must be at most 200 characters' }).nullish();

/** One webhook event (the fields Strix reads; RevenueCat adds fields over time and they pass). */
export const RevenueCatWebhookEvent = z
  .looseObject(
    {
      id: requiredId,
      type: z.string({ message: 'is required' }).min(1, { message: 'is required' }).max(100, { message: 'must be at most 100 characters' }),
      // TRANSFER events carry none (RevenueCat's "Event Types and Fields"): they name transferred_from/to instead.
      app_user_id: requiredId.optional(),
      original_app_user_id: z.string().max(1500).nullish(),
      aliases: idList,
      transferred_from: idList,
      transferred_to: idList,
      event_timestamp_ms: millis,
      product_id: word,
      entitlement_ids: z.array(z.string().max(200), { message: 'must be a list of entitlement identifiers' }).nullish(),
      entitlement_id: word,
      period_type: word,
      purchased_at_ms: millis,
      expiration_at_ms: millis,
      grace_period_expiration_at_ms: millis,
      store: word,
      environment: word,
      cancel_reason: word,
    },
    { message: 'is required' },
  )
  .superRefine((event, ctx) => {
    if (event.type !== 'TRANSFER' && event.app_user_id === undefined) ctx.addIssue({ code: 'custom', path: ['app_user_id'], message: 'is required (only TRANSFER events go without it)' });
    if (event.type === 'TRANSFER' && !event.transferred_to?.length) ctx.addIssue({ code: 'custom', path: ['transferred_to'], message: 'is required for a TRANSFER event' });
  });
export type RevenueCatWebhookEvent = z.infer<typeof RevenueCatWebhookEvent>;

/** The body RevenueCat POSTs: `{ api_version, event }`. */
export const RevenueCatWebhookBody = z.looseObject({ api_version: z.string().nullish(), event: RevenueCatWebhookEvent });
export type RevenueCatWebhookBody = z.infer<typeof RevenueCatWebhookBody>;
