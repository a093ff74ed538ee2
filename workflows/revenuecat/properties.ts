import type {
  RevenueCatActiveEntitlement,
  RevenueCatEntitlement,
  RevenueCatProduct,
  RevenueCatSubscriber,
  RevenueCatSubscription,
  RevenueCatV1Subscription,
} from './client.ts';

/** The user properties a RevenueCat integration writes; a full snapshot writes every key, so no stale value survives. */
export const revenueCatPropertyKeys = [
  'rc_subscriber',
  'rc_will_renew',
  'rc_status',
  'rc_product',
  'rc_entitlements',
  'rc_last_purchase',
  'rc_period_type',
  'rc_billing_period',
] as const;
export type RevenueCatProperties = Record<(typeof revenueCatPropertyKeys)[number], string>;

/** `rc_status` values; an empty `rc_status` means the customer never bought anything. */
export const revenueCatStatuses = ['active', 'trial', 'grace_period', 'billing_issue', 'cancelled', 'expired'] as const;
export type RevenueCatStatus = (typeof revenueCatStatuses)[number];

/** The documented form of the ids RevenueCat generates for customers the app has not identified. */
export const anonymousIdPrefix = '$RCAnonymousID:';
export const isAnonymousId = (id: string): boolean => id.startsWith(anonymousIdPrefix);

/** The product catalogue as the mappings use it, from `listProducts` and `listEntitlements`. */
export interface RevenueCatCatalogue {
  /** v2 product id → product (store identifier, duration). */
  readonly products: ReadonlyMap<string, RevenueCatProduct>;
  /** Store product identifier (what v1 and webhooks name) → ISO 8601 duration. */
  readonly durations: ReadonlyMap<string, string>;
  /** v2 entitlement id → lookup key (the identifier v1 and webhooks name). */
  readonly entitlementKeys: ReadonlyMap<string, string>;
}

export function revenueCatCatalogue(products: readonly RevenueCatProduct[], entitlements: readonly RevenueCatEntitlement[]): RevenueCatCatalogue {
  return {
    products: new Map(products.map((p) => [p.id, p])),
    durations: new Map(products.flatMap((p) => (p.subscription?.duration ? [[p.store_identifier, p.subscription.duration] as const] : []))),
    entitlementKeys: new Map(entitlements.map((e) => [e.id, e.lookup_key])),
  };
}

// The v2 `Duration` values, plus the equivalent spellings stores use.
const billingPeriods: Readonly<Record<string, string>> = {
  P7D: 'weekly',
  P1W: 'weekly',
  P1M: 'monthly',
  P2M: 'two_monthly',
  P3M: 'quarterly',
  P6M: 'semiannual',
  P12M: 'yearly',
  P1Y: 'yearly',
};

/** `rc_billing_period` of an ISO 8601 product duration (P1M → monthly); empty for any other duration. */
export function billingPeriod(duration: string | null | undefined): string {
  return duration && Object.hasOwn(billingPeriods, duration) ? billingPeriods[duration]! : '';
}

/** Period lengths in days, wide enough for calendar months (28 to 31 days) and leap years. */
const periodDays: readonly [number, number, string][] = [
  [6.5, 7.5, 'P1W'],
  [27.5, 31.5, 'P1M'],
  [58.5, 62.5, 'P2M'],
  [88.5, 92.5, 'P3M'],
  [180.5, 184.5, 'P6M'],
  [364.5, 366.5, 'P1Y'],
];
const durationOfPeriod = (fromMs: number, toMs: number): string | undefined =>
  periodDays.find(([lo, hi]) => (toMs - fromMs) / 86_400_000 >= lo && (toMs - fromMs) / 86_400_000 <= hi)?.[2];

const time = (text: string | null | undefined): number | undefined => {
  const at = text ? Date.parse(text) : NaN;
  return Number.isNaN(at) ? undefined : at;
};
const latest = (values: readonly (number | null | undefined)[]): number | undefined =>
  values.reduce<number | undefined>((max, v) => (v != null && (max === undefined || v > max) ? v : max), undefined);

interface Facts {
  subscriber: boolean;
  willRenew: boolean;
  status: RevenueCatStatus | '';
  product: string;
  entitlements: Iterable<string>;
  lastPurchase: number | undefined;
  periodType: string;
  billingPeriod: string;
}

function toProperties(f: Facts): RevenueCatProperties {
  return {
    rc_subscriber: String(f.subscriber),
    rc_will_renew: String(f.willRenew),
    rc_status: f.status,
    rc_product: f.product,
    rc_entitlements: [...new Set(f.entitlements)].sort().join(','),
    rc_last_purchase: f.lastPurchase === undefined ? '' : new Date(f.lastPurchase).toISOString(),
    rc_period_type: f.periodType.toLowerCase(),
    rc_billing_period: f.billingPeriod,
  };
}

/** When a v1 subscription stops giving access: expiry or grace end (null expiry: never), cut short by a refund. */
function accessEnd(s: RevenueCatV1Subscription): number {
  const end = s.expires_date == null ? Infinity : Math.max(time(s.expires_date) ?? -Infinity, time(s.grace_period_expires_date) ?? -Infinity);
  return Math.min(end, time(s.refunded_at) ?? Infinity);
}

/**
 * v1 status of one subscription, first match wins: a grace period still running (`grace_period_expires_date` in
 * the future, RevenueCat's documented test) → grace_period; an unresolved billing issue (RevenueCat clears
 * `billing_issues_detected_at` once it is resolved) without an unsubscribe → billing_issue, with or without access,
 * as the store may still be retrying; no access (expired or refunded) → expired; `unsubscribe_detected_at` →
 * cancelled; `period_type` trial → trial; else active.
 */
function v1Status(s: RevenueCatV1Subscription, access: boolean, now: number): RevenueCatStatus {
  if (!s.refunded_at && (time(s.grace_period_expires_date) ?? -Infinity) > now) return 'grace_period';
  if (!s.refunded_at && s.billing_issues_detected_at && !s.unsubscribe_detected_at) return 'billing_issue';
  if (!access) return 'expired';
  if (s.unsubscribe_detected_at) return 'cancelled';
  return s.period_type === 'trial' ? 'trial' : 'active';
}

/**
 * Properties from an API v1 subscriber at `now`. The subscription that gives access longest decides status,
 * product and period; a customer whose only access is a non-subscription purchase (a lifetime unlock) is
 * active and does not renew. v1 carries no product durations: pass `durations` from the catalogue.
 */
export function propertiesFromSubscriber(subscriber: RevenueCatSubscriber, context: { now: number; durations?: ReadonlyMap<string, string> }): RevenueCatProperties {
  const { now } = context;
  const subscriptions = Object.entries(subscriber.subscriptions)
    .map(([product, s]) => ({ product, s, until: accessEnd(s) }))
    .sort((a, b) => b.until - a.until || (time(b.s.purchase_date) ?? 0) - (time(a.s.purchase_date) ?? 0));
  const entitled = Object.entries(subscriber.entitlements).filter(
    ([, e]) => e.expires_date === null || (time(e.expires_date) ?? -Infinity) > now || (time(e.grace_period_expires_date) ?? -Infinity) > now,
  );
  const nonSubscriptions = Object.entries(subscriber.non_subscriptions).flatMap(([product, bought]) => bought.map((p) => ({ product, at: time(p.purchase_date) })));
  const lastPurchase = latest([
    ...subscriptions.map((x) => time(x.s.purchase_date)),
    ...nonSubscriptions.map((p) => p.at),
    ...Object.values(subscriber.entitlements).map((e) => time(e.purchase_date)),
  ]);
  const primary = subscriptions[0];
  const entitlements = entitled.map(([id]) => id);
  // Access through something other than a subscription (a lifetime unlock) speaks for the customer when no subscription does.
  const otherAccess = entitled.some(([, e]) => !subscriptions.some((x) => x.product === e.product_identifier));
  if (!primary || (primary.until <= now && otherAccess)) {
    const newest = [...entitled.map(([, e]) => ({ product: e.product_identifier ?? '', at: time(e.purchase_date) })), ...nonSubscriptions].sort((a, b) => (b.at ?? 0) - (a.at ?? 0))[0];
    const status = entitled.length > 0 ? 'active' : lastPurchase === undefined ? '' : 'expired';
    return toProperties({ subscriber: entitled.length > 0, willRenew: false, status, product: newest?.product ?? '', entitlements, lastPurchase, periodType: '', billingPeriod: '' });
  }
  const { s } = primary;
  const access = primary.until > now;
  return toProperties({
    subscriber: access || entitled.length > 0,
    willRenew: access && !s.unsubscribe_detected_at && !s.billing_issues_detected_at && !s.refunded_at && s.store !== 'promotional',
    status: v1Status(s, access, now),
    product: primary.product,
    entitlements,
    lastPurchase,
    periodType: s.period_type ?? '',
    billingPeriod: billingPeriod(context.durations?.get(primary.product)),
  });
}

const renewing = new Set(['will_renew', 'has_already_renewed', 'will_change_product']);

/**
 * v2 status, from RevenueCat's own `status`: trialing → trial and active → active (cancelled when
 * `auto_renewal_status` is will_not_renew), in_grace_period → grace_period, in_billing_retry → billing_issue,
 * expired and paused (no access) → expired; a status added later is read from `gives_access`.
 */
function v2Status(s: RevenueCatSubscription): RevenueCatStatus {
  const unlessCancelled = (status: RevenueCatStatus) => (s.auto_renewal_status === 'will_not_renew' ? 'cancelled' : status);
  if (s.status === 'trialing') return unlessCancelled('trial');
  if (s.status === 'active') return unlessCancelled('active');
  if (s.status === 'in_grace_period') return 'grace_period';
  if (s.status === 'in_billing_retry') return 'billing_issue';
  if (s.status === 'expired' || s.status === 'paused') return 'expired';
  return s.gives_access ? unlessCancelled('active') : 'expired';
}

/**
 * Properties from API v2: a customer's subscriptions and active entitlements. The subscription that gives access
 * (then ends last) decides; v2 tells trials apart but not intro or prepaid periods (those read `normal`).
 * Product ids become store identifiers and entitlement ids lookup keys through the catalogue.
 */
export function propertiesFromCustomer(
  customer: { subscriptions: readonly RevenueCatSubscription[]; activeEntitlements?: readonly RevenueCatActiveEntitlement[] },
  catalogue?: RevenueCatCatalogue,
): RevenueCatProperties {
  const end = (s: RevenueCatSubscription) => s.current_period_ends_at ?? Infinity;
  const subscriptions = [...customer.subscriptions].sort(
    (a, b) => Number(b.gives_access) - Number(a.gives_access) || end(b) - end(a) || (b.starts_at ?? 0) - (a.starts_at ?? 0),
  );
  const entitlements = [
    ...subscriptions.filter((s) => s.gives_access).flatMap((s) => (s.entitlements?.items ?? []).map((e) => e.lookup_key)),
    ...(customer.activeEntitlements ?? []).flatMap((e) => catalogue?.entitlementKeys.get(e.entitlement_id) ?? []),
  ];
  const subscriber = subscriptions.some((s) => s.gives_access) || (customer.activeEntitlements?.length ?? 0) > 0;
  const lastPurchase = latest(subscriptions.map((s) => s.current_period_starts_at));
  const primary = subscriptions[0];
  if (!primary) {
    return toProperties({ subscriber, willRenew: false, status: subscriber ? 'active' : '', product: '', entitlements, lastPurchase, periodType: '', billingPeriod: '' });
  }
  const status = v2Status(primary);
  const product = primary.product_id ? catalogue?.products.get(primary.product_id) : undefined;
  return toProperties({
    subscriber,
    willRenew: primary.gives_access && renewing.has(primary.auto_renewal_status) && status !== 'grace_period' && status !== 'billing_issue',
    status,
    product: product?.store_identifier ?? primary.product_id ?? '',
    entitlements,
    lastPurchase,
    periodType: primary.status === 'trialing' ? 'trial' : 'normal',
    billingPeriod: billingPeriod(product?.subscription?.duration),
  });
}

// The webhook body's schema sits in @strix/contracts: the API validates deliveries with it too.
import type { RevenueCatWebhookEvent } from '@strix/contracts';
export { RevenueCatWebhookBody, RevenueCatWebhookEvent } from '@strix/contracts';

export interface WebhookIds {
  /** Every app user id the event names (app_user_id, original_app_user_id, aliases, transferred_from/to), once each. */
  readonly all: string[];
  /** Ids the app chose: a Strix user id can only be one of these. */
  readonly named: string[];
  /** RevenueCat's anonymous ids: resolve them through the API (the customer's aliases) before writing. */
  readonly anonymous: string[];
}

export function webhookIds(event: RevenueCatWebhookEvent): WebhookIds {
  const all = [
    ...new Set([event.app_user_id, event.original_app_user_id, ...(event.aliases ?? []), ...(event.transferred_from ?? []), ...(event.transferred_to ?? [])]),
  ].filter((id): id is string => typeof id === 'string' && id !== '');
  return { all, named: all.filter((id) => !isAnonymousId(id)), anonymous: all.filter(isAnonymousId) };
}

export type WebhookOutcome =
  /** Write these properties to the event's customer. `rc_billing_period` is left out when the event cannot tell it. */
  | { kind: 'set'; ids: WebhookIds; properties: Partial<RevenueCatProperties> }
  /** The event changed state it does not describe: read the customers named in `ids` from the API. */
  | { kind: 'refresh'; ids: WebhookIds; reason: string }
  | { kind: 'ignore'; reason: string };

/** Events that say nothing about a subscription's state. */
const stateless = new Set(['TEST', 'SUBSCRIBER_ALIAS', 'EXPERIMENT_ENROLLMENT', 'INVOICE_ISSUANCE', 'VIRTUAL_CURRENCY_TRANSACTION']);
/** Events after which a subscription keeps renewing. */
const renewingEvents = new Set(['INITIAL_PURCHASE', 'RENEWAL', 'UNCANCELLATION', 'PRODUCT_CHANGE', 'SUBSCRIPTION_EXTENDED', 'REFUND_REVERSED']);
const lifecycle = new Set([...renewingEvents, 'NON_RENEWING_PURCHASE', 'CANCELLATION', 'EXPIRATION', 'BILLING_ISSUE', 'SUBSCRIPTION_PAUSED', 'TEMPORARY_ENTITLEMENT_GRANT']);

/**
 * What one webhook event means for its customer's properties at `now`. Access lasts until `expiration_at_ms`
 * (null: a purchase that never expires), or `grace_period_expiration_at_ms` on BILLING_ISSUE; EXPIRATION ends it.
 * Status: EXPIRATION → expired; BILLING_ISSUE → grace_period or billing_issue; CANCELLATION → billing_issue for
 * BILLING_ERROR, else cancelled (expired once access ended); others → expired without access, else trial or
 * active by `period_type`. A refund (CANCELLATION for CUSTOMER_SUPPORT) may leave auto-renewal on, and TRANSFER moves
 * entitlements between customers: both ask for a refresh from the API, as does any event type not known here.
 * Events can arrive out of order; the caller compares `event_timestamp_ms` before writing.
 */
export function mapWebhookEvent(event: RevenueCatWebhookEvent, now: number, durations?: ReadonlyMap<string, string>): WebhookOutcome {
  if (stateless.has(event.type)) return { kind: 'ignore', reason: `a ${event.type} event does not change subscription state` };
  const ids = webhookIds(event);
  if (event.type === 'TRANSFER') return { kind: 'refresh', ids, reason: 'a TRANSFER moves entitlements between customers' };
  if (event.type === 'CANCELLATION' && event.cancel_reason === 'CUSTOMER_SUPPORT') return { kind: 'refresh', ids, reason: 'a refund may leave auto-renewal on' };
  if (!lifecycle.has(event.type)) return { kind: 'refresh', ids, reason: `event type ${event.type} is not known to Strix` };

  const expires = event.expiration_at_ms ?? undefined;
  const inGrace = event.type === 'BILLING_ISSUE' && (event.grace_period_expiration_at_ms ?? -Infinity) > now;
  const access = event.type !== 'EXPIRATION' && (inGrace || expires === undefined || expires > now);
  let status: RevenueCatStatus;
  if (event.type === 'EXPIRATION') status = 'expired';
  else if (event.type === 'BILLING_ISSUE') status = inGrace ? 'grace_period' : 'billing_issue';
  else if (event.type === 'CANCELLATION' && event.cancel_reason === 'BILLING_ERROR') status = 'billing_issue';
  else if (!access) status = 'expired';
  else if (event.type === 'CANCELLATION') status = 'cancelled';
  else status = event.period_type === 'TRIAL' ? 'trial' : 'active';

  const product = event.product_id ?? '';
  // RevenueCat documents expiration minus purchase as the period's length; sandbox periods are shortened.
  const measured =
    event.purchased_at_ms != null && expires !== undefined && (event.period_type === 'NORMAL' || event.period_type === 'PREPAID') && event.environment !== 'SANDBOX'
      ? durationOfPeriod(event.purchased_at_ms, expires)
      : undefined;
  const period = billingPeriod(durations?.get(product) ?? measured);
  const { rc_billing_period, ...rest } = toProperties({
    subscriber: access,
    willRenew: access && renewingEvents.has(event.type) && expires !== undefined && event.store !== 'PROMOTIONAL',
    status,
    product,
    entitlements: access ? (event.entitlement_ids ?? (event.entitlement_id ? [event.entitlement_id] : [])) : [],
    lastPurchase: event.purchased_at_ms ?? undefined,
    periodType: event.period_type ?? '',
    billingPeriod: period,
  });
  return { kind: 'set', ids, properties: period ? { ...rest, rc_billing_period } : rest };
}
