// A local RevenueCat REST API built from its documented shapes: the OpenAPI specs in github.com/RevenueCat/docs
// (openapi-spec/api-v1.yaml, api-v2.yaml), published at https://www.revenuecat.com/docs/api-v1 and /docs/api-v2.
//   v1 GET /v1/subscribers/{app_user_id} (get or create: an unknown id answers 201 with an empty subscriber)
//      → { request_date, request_date_ms, subscriber: { entitlements: { <id>: { expires_date, grace_period_expires_date,
//        product_identifier, purchase_date } }, first_seen, last_seen, management_url, non_subscriptions: { <product>:
//        [{ id, purchase_date, store, is_sandbox }] }, original_app_user_id, original_application_version,
//        original_purchase_date, other_purchases, subscriber_attributes, subscriptions: { <store product id>:
//        { auto_resume_date, billing_issues_detected_at, expires_date, grace_period_expires_date, is_sandbox,
//        original_purchase_date, ownership_type, period_type, purchase_date, refunded_at, store, store_transaction_id,
//        unsubscribe_detected_at } } } }; errors { code, message }.
//   v2 lists ("Pagination"): { object: "list", items, next_page: "<url>?starting_after=<last id>" | null, url }, `limit`
//      defaults to 20, forward only. customer { object, id, project_id, first_seen_at, last_seen_at, last_seen_*,
//      active_entitlements (Get a customer only) }; customer.alias { object, id, created_at };
//      customer.active_entitlement { object, entitlement_id, expires_at }; subscription { object, id, customer_id,
//      original_customer_id, product_id, starts_at, current_period_starts_at, current_period_ends_at, ends_at,
//      gives_access, pending_payment, auto_renewal_status, status, total_revenue_in_usd, presented_offering_id,
//      entitlements (a list of entitlement), environment, store, store_subscription_identifier, ownership,
//      management_url }; product { object, id, store_identifier, type, subscription: { duration, … }, created_at,
//      app_id, display_name }; entitlement { object, project_id, id, lookup_key, display_name, created_at }.
//   v2 errors { object: "error", type, message, retryable, doc_url, backoff_ms? }; "Rate Limit": a 429 carries
//      Retry-After (seconds), successes carry RevenueCat-Rate-Limit-Current-Usage and -Current-Limit.
// Not documented, chosen here: customers are listed in id order, an unknown `starting_after` answers 400, and a
// customer's aliases list every app user id it has, its own id included.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { seededRandom, type SeededRandom } from './random.ts';

/** What a generated customer's purchases amount to at the stand-in's `now`; `none` never bought anything. */
export const standinStates = ['none', 'active', 'trial', 'grace_period', 'billing_issue', 'cancelled', 'expired', 'lifetime'] as const;
export type StandinState = (typeof standinStates)[number];

type Json = Record<string, unknown>;
export interface StandinCustomer {
  readonly id: string;
  /** Every app user id of the customer, the first one it was known by first. */
  readonly aliases: readonly string[];
  readonly state: StandinState;
  /** The v1 `subscriber` object. */
  readonly subscriber: Json;
  /** v2 `subscription` objects and `customer.active_entitlement` objects. */
  readonly subscriptions: readonly Json[];
  readonly activeEntitlements: readonly Json[];
}

const day = 86_400_000;
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const plans = [
  { id: 'prod_weekly', store: 'strix_weekly', duration: 'P1W', days: 7, entitlements: ['pro'] },
  { id: 'prod_monthly', store: 'strix_monthly', duration: 'P1M', days: 30, entitlements: ['pro'] },
  { id: 'prod_yearly', store: 'strix_yearly', duration: 'P1Y', days: 365, entitlements: ['pro', 'support'] },
] as const;
const lifetime = { id: 'prod_lifetime', store: 'strix_lifetime', entitlements: ['pro'] } as const;
const entitlementIds: Readonly<Record<string, string>> = { pro: 'entl_pro', support: 'entl_support' };

/** The project's v2 product and entitlement catalogues. */
export function standinCatalogue(projectId: string): { products: Json[]; entitlements: Json[] } {
  const base = { created_at: 1_700_000_000_000, app_id: 'app_strix' };
  return {
    products: [
      ...plans.map((p) => ({ object: 'product', id: p.id, store_identifier: p.store, type: 'subscription', subscription: { duration: p.duration, grace_period_duration: 'P6D', trial_duration: 'P1W' }, display_name: p.store, ...base })),
      { object: 'product', id: lifetime.id, store_identifier: lifetime.store, type: 'non_consumable', one_time: {}, display_name: lifetime.store, ...base },
    ],
    entitlements: Object.entries(entitlementIds).map(([key, id]) => ({ object: 'entitlement', project_id: projectId, id, lookup_key: key, display_name: key, created_at: base.created_at })),
  };
}

interface Period { plan: (typeof plans)[number]; start: number; end: number; trial?: boolean; unsubscribed?: number; billingIssue?: number; grace?: number }

/** The subscription periods behind each state, around `now`. */
function periodsFor(state: StandinState, rnd: SeededRandom, now: number): Period[] {
  const plan = rnd.pick(plans);
  const length = plan.days * day;
  const current = now - Math.floor(length * (0.1 + rnd.next() * 0.8));
  switch (state) {
    case 'none':
    case 'lifetime':
      return [];
    case 'active': {
      const earlier = rnd.chance(0.5) ? [{ plan: rnd.pick(plans), start: current - 400 * day, end: current - 300 * day, unsubscribed: current - 310 * day }] : [];
      return [...earlier, { plan, start: current, end: current + length }];
    }
    case 'trial':
      return [{ plan, start: now - day, end: now + 6 * day, trial: true }];
    case 'cancelled':
      return [{ plan, start: current, end: current + length, unsubscribed: Math.floor((current + now) / 2) }];
    case 'grace_period':
      return [{ plan, start: now - day - length, end: now - day, billingIssue: now - day, grace: now + 5 * day }];
    case 'billing_issue':
      return [{ plan, start: now - 2 * day - length, end: now - 2 * day, billingIssue: now - 2 * day }];
    case 'expired':
      return [{ plan, start: now - 20 * day - length, end: now - 20 * day, unsubscribed: now - 23 * day }];
  }
}

function v2Status(p: Period, now: number): { status: string; access: boolean; renewal: string } {
  const renewal = p.unsubscribed === undefined ? 'will_renew' : 'will_not_renew';
  if (p.grace !== undefined && p.grace > now) return { status: 'in_grace_period', access: true, renewal };
  if (p.billingIssue !== undefined) return { status: 'in_billing_retry', access: false, renewal };
  if (p.end <= now) return { status: 'expired', access: false, renewal };
  return { status: p.trial ? 'trialing' : 'active', access: true, renewal };
}

/** Customer `index` of a project, the same for the same seed and `now`. */
function generateCustomer(projectId: string, index: number, rnd: SeededRandom, now: number): StandinCustomer {
  const state = standinStates[index % standinStates.length]!;
  const anonymous = `$RCAnonymousID:${Array.from({ length: 32 }, () => rnd.int(0, 15).toString(16)).join('')}`;
  const named = `user_${String(index).padStart(6, '0')}`;
  // Every fifth customer never logged in; half of the others started anonymous.
  const aliases = index % 5 === 3 ? [anonymous] : rnd.chance(0.5) ? [anonymous, named] : [named];
  const id = aliases.at(-1)!;
  const periods = periodsFor(state, rnd, now);
  const subscriptions: Json = {};
  const entitlements: Json = {};
  const v2: Json[] = [];
  const active: Json[] = [];
  for (const [n, p] of periods.entries()) {
    const until = Math.max(p.end, p.grace ?? 0);
    subscriptions[p.plan.store] = {
      auto_resume_date: null, billing_issues_detected_at: iso(p.billingIssue ?? null), expires_date: iso(p.end),
      grace_period_expires_date: iso(p.grace ?? null), is_sandbox: false, original_purchase_date: iso(p.start),
      ownership_type: 'PURCHASED', period_type: p.trial ? 'trial' : 'normal', purchase_date: iso(p.start), refunded_at: null,
      store: 'app_store', store_transaction_id: `${index}00${n}`, unsubscribe_detected_at: iso(p.unsubscribed ?? null),
    };
    const { status, access, renewal } = v2Status(p, now);
    for (const key of p.plan.entitlements) {
      entitlements[key] = { expires_date: iso(p.end), grace_period_expires_date: iso(p.grace ?? null), product_identifier: p.plan.store, purchase_date: iso(p.start) };
      if (access) active.push({ object: 'customer.active_entitlement', entitlement_id: entitlementIds[key], expires_at: until });
    }
    v2.push({
      object: 'subscription', id: `sub_${index}_${n}`, customer_id: id, original_customer_id: id, product_id: p.plan.id,
      starts_at: p.start, current_period_starts_at: p.start, current_period_ends_at: p.end, ends_at: p.end,
      gives_access: access, pending_payment: false, auto_renewal_status: renewal, status,
      total_revenue_in_usd: { currency: 'USD', gross: 9.99, commission: 3, tax: 0, proceeds: 6.99 }, presented_offering_id: null,
      entitlements: { object: 'list', items: p.plan.entitlements.map((key) => ({ object: 'entitlement', project_id: projectId, id: entitlementIds[key], lookup_key: key, display_name: key, created_at: 1_700_000_000_000 })), next_page: null, url: `/v2/projects/${projectId}/subscriptions/sub_${index}_${n}/entitlements` },
      environment: 'production', store: 'app_store', store_subscription_identifier: `${index}00${n}`, ownership: 'purchased', management_url: null,
    });
  }
  const nonSubscriptions: Json = {};
  if (state === 'lifetime') {
    const bought = now - 100 * day;
    nonSubscriptions[lifetime.store] = [{ id: `np_${index}`, is_sandbox: false, purchase_date: iso(bought), store: 'app_store', store_transaction_id: `np${index}` }];
    for (const key of lifetime.entitlements) {
      entitlements[key] = { expires_date: null, grace_period_expires_date: null, product_identifier: lifetime.store, purchase_date: iso(bought) };
      active.push({ object: 'customer.active_entitlement', entitlement_id: entitlementIds[key], expires_at: null });
    }
  }
  const subscriber = {
    entitlements, first_seen: iso(now - 500 * day), last_seen: iso(now - day), management_url: null, non_subscriptions: nonSubscriptions,
    original_app_user_id: aliases[0], original_application_version: null, original_purchase_date: null, other_purchases: {},
    subscriber_attributes: {}, subscriptions,
  };
  return { id, aliases, state, subscriber, subscriptions: v2, activeEntitlements: active };
}

export interface RevenueCatStandinOptions {
  readonly apiKey: string;
  readonly projectId: string;
  readonly customers: number;
  readonly seed?: number;
  /** The moment the generated states describe (default: when the stand-in starts). */
  readonly now?: number;
  /** v1 creates unknown subscribers (201, the documented behaviour); `not_found` answers 404 instead. */
  readonly unknownSubscriber?: 'create' | 'not_found';
}

/** Injected failures; change them between calls. */
export interface StandinFaults {
  /** Every k-th request answers 429 with Retry-After `retryAfterSeconds` (default 1). */
  rateLimitEvery?: number;
  retryAfterSeconds?: number;
  /** Send Retry-After as an HTTP date instead of seconds. */
  retryAfterAsDate?: boolean;
  /** Every request before this time (epoch ms) answers 429, Retry-After being the seconds left. */
  rateLimitedUntil?: number;
  /** Every k-th request answers `serverErrorStatus` (default 503). */
  serverErrorEvery?: number;
  serverErrorStatus?: number;
  /** `backoff_ms` in the 5xx body (RevenueCat's example sends 1000). */
  serverErrorBackoffMs?: number;
  /** Each answer waits this long. */
  delayMs?: number;
  /** RevenueCat's own limit: a request that finds `requests` others in the last `windowMs` answers 429. */
  limit?: { requests: number; windowMs: number };
}

export interface RecordedRequest {
  /** When the request arrived (epoch ms). */
  readonly at: number;
  readonly path: string;
  status: number;
  /** Why it failed on purpose: an injected 429 or 5xx, or the stand-in's own rate limit. */
  fault?: 'injected_429' | 'injected_5xx' | 'rate_limited';
  /** For a 429: no request may arrive before `at + retryAfterMs`. */
  retryAfterMs?: number;
}

export interface RevenueCatStandin {
  readonly url: string;
  readonly customers: readonly StandinCustomer[];
  readonly requests: RecordedRequest[];
  faults: StandinFaults;
  close(): Promise<void>;
}

const v2Error = (type: string, message: string, retryable: boolean, extra: Json = {}) => ({ object: 'error', type, message, retryable, doc_url: `https://errors.rev.cat/${type.replace(/_/g, '-')}`, ...extra });

/** The customers a stand-in with these options serves, in id order (the same for the same seed and `now`). */
export function standinCustomers(options: Pick<RevenueCatStandinOptions, 'projectId' | 'customers' | 'seed'> & { now: number }): StandinCustomer[] {
  const rnd = seededRandom(options.seed ?? 1);
  return Array.from({ length: options.customers }, (_, i) => generateCustomer(options.projectId, i, rnd, options.now)).sort((a, b) => (a.id < b.id ? -1 : 1));
}

export async function startRevenueCatStandin(options: RevenueCatStandinOptions): Promise<RevenueCatStandin> {
  const now = options.now ?? Date.now();
  const project = options.projectId;
  const customers = standinCustomers({ ...options, now });
  const byId = new Map(customers.map((c) => [c.id, c]));
  const byAlias = new Map(customers.flatMap((c) => c.aliases.map((a) => [a, c] as const)));
  const catalogue = standinCatalogue(project);
  const requests: RecordedRequest[] = [];

  function page(items: Json[], idOf: (item: Json) => string, url: URL, base: string): { status: number; body: Json } {
    const limitText = url.searchParams.get('limit');
    const limit = limitText === null ? 20 : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1) return { status: 400, body: v2Error('parameter_error', 'limit must be a positive integer', false, { param: 'limit' }) };
    const after = url.searchParams.get('starting_after');
    const from = after === null ? 0 : items.findIndex((item) => idOf(item) === after) + 1;
    if (from === 0 && after !== null) return { status: 400, body: v2Error('parameter_error', 'starting_after is not an object of this list', false, { param: 'starting_after' }) };
    const slice = items.slice(from, from + limit);
    const more = from + limit < items.length;
    return { status: 200, body: { object: 'list', items: slice, next_page: more ? `${base}?starting_after=${encodeURIComponent(idOf(slice.at(-1)!))}` : null, url: base } };
  }

  function route(segments: string[], url: URL): { status: number; body: Json } {
    const missing = { status: 404, body: v2Error('resource_missing', 'Resource not found', false) };
    if (segments[0] === 'v1' && segments[1] === 'subscribers' && segments.length === 3) {
      const appUserId = segments[2]!;
      const customer = byAlias.get(appUserId);
      const requestDate = { request_date: new Date().toISOString(), request_date_ms: Date.now() };
      if (customer) return { status: 200, body: { ...requestDate, subscriber: customer.subscriber } };
      if (options.unknownSubscriber === 'not_found') return { status: 404, body: { code: 7259, message: 'Subscriber not found' } };
      const empty = { entitlements: {}, first_seen: requestDate.request_date, last_seen: requestDate.request_date, management_url: null, non_subscriptions: {}, original_app_user_id: appUserId, original_application_version: null, original_purchase_date: null, other_purchases: {}, subscriber_attributes: {}, subscriptions: {} };
      return { status: 201, body: { ...requestDate, subscriber: empty } };
    }
    if (segments[0] !== 'v2' || segments[1] !== 'projects' || segments[2] !== project) return missing;
    const [, , , collection, customerId, detail] = segments;
    const base = `/v2/projects/${encodeURIComponent(project)}/${collection}`;
    if (collection === 'products' && segments.length === 4) return page(catalogue.products, (p) => p.id as string, url, base);
    if (collection === 'entitlements' && segments.length === 4) return page(catalogue.entitlements, (e) => e.id as string, url, base);
    if (collection !== 'customers') return missing;
    const summary = (c: StandinCustomer): Json => ({ object: 'customer', id: c.id, project_id: project, first_seen_at: now - 500 * day, last_seen_at: now - day, last_seen_app_version: '1.4.0', last_seen_country: 'US', last_seen_platform: 'ios', last_seen_platform_version: '17.5' });
    if (customerId === undefined) return page(customers.map(summary), (c) => c.id as string, url, base);
    const customer = byId.get(customerId);
    if (!customer || segments.length > 6) return missing;
    const own = `${base}/${encodeURIComponent(customer.id)}`;
    const list = (items: readonly Json[], path: string) => ({ object: 'list', items, next_page: null, url: path });
    if (detail === undefined) return { status: 200, body: { ...summary(customer), active_entitlements: list(customer.activeEntitlements, `${own}/active_entitlements`), experiment: null } };
    if (detail === 'aliases') return page(customer.aliases.map((a, i) => ({ object: 'customer.alias', id: a, created_at: now - (500 - i) * day })), (a) => a.id as string, url, `${own}/aliases`);
    if (detail === 'subscriptions') return page([...customer.subscriptions], (s) => s.id as string, url, `${own}/subscriptions`);
    if (detail === 'active_entitlements') return page([...customer.activeEntitlements], (e) => e.entitlement_id as string, url, `${own}/active_entitlements`);
    return missing;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = Date.now();
    const url = new URL(req.url ?? '/', 'http://standin');
    const record: RecordedRequest = { at, path: url.pathname + url.search, status: 0 };
    requests.push(record);
    const faults = standin.faults;
    const v1 = url.pathname.startsWith('/v1/');
    const send = (status: number, body: Json, headers: Record<string, string> = {}) => {
      record.status = status;
      if (res.destroyed) return;
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
    };
    if (faults.delayMs) {
      // A client that gave up closes the connection: stop waiting then, so no timer outlives the suite.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, faults.delayMs);
        res.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    if (req.method !== 'GET') return send(405, v2Error('invalid_request', 'the stand-in serves GET only', false));
    if (req.headers.authorization !== `Bearer ${options.apiKey}`) {
      return send(401, v1 ? { code: 7225, message: 'Invalid API key' } : v2Error('authentication_error', 'Invalid API key', false));
    }
    const rateLimit = (seconds: number, fault: RecordedRequest['fault']) => {
      const until = Math.ceil((at + seconds * 1000) / 1000) * 1000;
      record.fault = fault;
      record.retryAfterMs = faults.retryAfterAsDate ? until - at : seconds * 1000;
      const header = faults.retryAfterAsDate ? new Date(until).toUTCString() : String(seconds);
      send(429, v2Error('rate_limit_error', 'Rate limit exceeded', true, { backoff_ms: record.retryAfterMs }), { 'retry-after': header });
    };
    const count = requests.length;
    if (faults.limit) {
      const recent = requests.filter((r) => r !== record && r.at > at - faults.limit!.windowMs);
      if (recent.length >= faults.limit.requests) return rateLimit(Math.max(1, Math.ceil((recent[0]!.at + faults.limit.windowMs - at) / 1000)), 'rate_limited');
    }
    if (faults.rateLimitedUntil !== undefined && at < faults.rateLimitedUntil) return rateLimit(Math.ceil((faults.rateLimitedUntil - at) / 1000), 'injected_429');
    if (faults.rateLimitEvery && count % faults.rateLimitEvery === 0) return rateLimit(faults.retryAfterSeconds ?? 1, 'injected_429');
    if (faults.serverErrorEvery && count % faults.serverErrorEvery === 0) {
      record.fault = 'injected_5xx';
      const backoff = faults.serverErrorBackoffMs === undefined ? {} : { backoff_ms: faults.serverErrorBackoffMs };
      return send(faults.serverErrorStatus ?? 503, v2Error('server_error', 'There was an internal server error', true, backoff));
    }
    // Path segments are percent-decoded one by one, so an id holding "/" stays one segment.
    const { status, body } = route(url.pathname.split('/').slice(1).map(decodeURIComponent), url);
    const usage: Record<string, string> = faults.limit ? { 'revenuecat-rate-limit-current-usage': String(requests.filter((r) => r.at > at - faults.limit!.windowMs).length), 'revenuecat-rate-limit-current-limit': String(faults.limit.requests) } : {};
    send(status, body, status < 300 ? usage : {});
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(error));
    });
  });
  const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
  const standin: RevenueCatStandin = {
    url: `http://127.0.0.1:${port}`,
    customers,
    requests,
    faults: {},
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return standin;
}

/** The most requests that arrived within any `windowMs` (every window [t, t + windowMs), not fixed buckets). */
export function maxRequestsInWindow(requests: readonly { at: number }[], windowMs: number): number {
  const times = requests.map((r) => r.at).sort((a, b) => a - b);
  let most = 0;
  for (let first = 0, last = 0; last < times.length; last++) {
    while (times[last]! - times[first]! >= windowMs) first++;
    most = Math.max(most, last - first + 1);
  }
  return most;
}

/**
 * Requests that arrived after a 429 but before its Retry-After had passed. `inFlightMs` excuses those arriving that
 * soon after the 429: with concurrent callers, they were sent before the client could have read it.
 */
export function requestsBeforeRetryAfter(requests: readonly RecordedRequest[], inFlightMs = 0): RecordedRequest[] {
  return requests.filter((r, i) =>
    requests.slice(0, i).some((limited) => limited.retryAfterMs !== undefined && r.at >= limited.at + inFlightMs && r.at < limited.at + limited.retryAfterMs),
  );
}
