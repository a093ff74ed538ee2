import { z } from 'zod';

// Response shapes from RevenueCat's OpenAPI specs (github.com/RevenueCat/docs, openapi-spec/api-v1.yaml
// and api-v2.yaml): only the fields Strix reads are checked; unknown fields pass, so additions never break a sync.
const when = z.string().nullish();

/** One entry of a v1 subscriber's `subscriptions` (keyed by store product identifier). */
export const RevenueCatV1Subscription = z.looseObject({
  purchase_date: when,
  original_purchase_date: when,
  expires_date: when,
  grace_period_expires_date: when,
  unsubscribe_detected_at: when,
  billing_issues_detected_at: when,
  refunded_at: when,
  period_type: z.string().nullish(),
  store: z.string().nullish(),
  is_sandbox: z.boolean().nullish(),
});
export type RevenueCatV1Subscription = z.infer<typeof RevenueCatV1Subscription>;

/** v1 `subscriber`: the customer info of `GET /v1/subscribers/{app_user_id}`. */
export const RevenueCatSubscriber = z.looseObject({
  original_app_user_id: z.string(),
  first_seen: when,
  entitlements: z
    .record(z.string(), z.looseObject({ expires_date: when, grace_period_expires_date: when, product_identifier: z.string().nullish(), purchase_date: when }))
    .default({}),
  subscriptions: z.record(z.string(), RevenueCatV1Subscription).default({}),
  non_subscriptions: z.record(z.string(), z.array(z.looseObject({ purchase_date: when, store: z.string().nullish() }))).default({}),
});
export type RevenueCatSubscriber = z.infer<typeof RevenueCatSubscriber>;

const ms = z.number().nullish();

/** v2 `customer.active_entitlement`: an entitlement's RevenueCat id (not its lookup key) and when access ends. */
export const RevenueCatActiveEntitlement = z.looseObject({ entitlement_id: z.string(), expires_at: ms });
export type RevenueCatActiveEntitlement = z.infer<typeof RevenueCatActiveEntitlement>;

const list = <T extends z.ZodType>(item: T) => z.looseObject({ items: z.array(item), next_page: z.string().nullish() });

/** v2 `customer`; `active_entitlements` is only filled by "Get a customer". */
export const RevenueCatCustomer = z.looseObject({
  id: z.string(),
  first_seen_at: ms,
  last_seen_at: ms,
  active_entitlements: list(RevenueCatActiveEntitlement).nullish(),
});
export type RevenueCatCustomer = z.infer<typeof RevenueCatCustomer>;

export const RevenueCatAlias = z.looseObject({ id: z.string(), created_at: ms });
export type RevenueCatAlias = z.infer<typeof RevenueCatAlias>;

/** v2 `entitlement` of the project catalogue: `lookup_key` is the identifier webhooks and API v1 use. */
export const RevenueCatEntitlement = z.looseObject({ id: z.string(), lookup_key: z.string() });
export type RevenueCatEntitlement = z.infer<typeof RevenueCatEntitlement>;

/** v2 `product`: `subscription.duration` is ISO 8601 (P1M); `store_identifier` is the id v1 and webhooks use. */
export const RevenueCatProduct = z.looseObject({
  id: z.string(),
  store_identifier: z.string(),
  type: z.string().nullish(),
  subscription: z.looseObject({ duration: z.string().nullish() }).nullish(),
});
export type RevenueCatProduct = z.infer<typeof RevenueCatProduct>;

/** v2 `subscription`: status and access as RevenueCat itself decided them at request time. */
export const RevenueCatSubscription = z.looseObject({
  id: z.string(),
  product_id: z.string().nullish(),
  starts_at: ms,
  current_period_starts_at: ms,
  current_period_ends_at: ms,
  gives_access: z.boolean(),
  auto_renewal_status: z.string(),
  status: z.string(),
  store: z.string().nullish(),
  entitlements: list(RevenueCatEntitlement).nullish(),
});
export type RevenueCatSubscription = z.infer<typeof RevenueCatSubscription>;

/** A failed call: `retry` says whether the same call may succeed later (after `retryAfterMs` when RevenueCat said so). */
export class RevenueCatError extends Error {
  constructor(
    message: string,
    readonly path: string,
    readonly retry: boolean,
    readonly status?: number,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'RevenueCatError';
  }
}

/** Rejects with the signal's reason when it aborts, so a cancelled job stops waiting at once. */
function sleep(msToWait: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, msToWait);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * At most `limit` requests in any window of `windowMs` (a sliding log, not fixed buckets). A request holds its
 * slot from when it is sent until `windowMs` after its answer came back: the server saw it somewhere in between,
 * so the next one it sees in that slot arrives at least a whole window later.
 */
export class SlidingWindowLimiter {
  private readonly slots: { end: number }[] = [];
  private pausedUntil = 0;

  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {
    if (!(limit >= 1) || !(windowMs > 0)) throw new Error(`a rate limit needs limit >= 1 and windowMs > 0, got ${limit} per ${windowMs} ms`);
  }

  /** No request starts before `until` (RevenueCat's Retry-After applies to every call sharing the key). */
  pauseUntil(until: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, until);
  }

  /** Waits for a free slot; the returned function marks the request answered. */
  async acquire(signal?: AbortSignal): Promise<() => void> {
    for (;;) {
      signal?.throwIfAborted();
      const now = Date.now();
      for (let i = this.slots.length - 1; i >= 0; i--) if (this.slots[i]!.end + this.windowMs <= now) this.slots.splice(i, 1);
      let wait = this.pausedUntil - now;
      if (wait <= 0 && this.slots.length < this.limit) {
        const slot = { end: Infinity };
        this.slots.push(slot);
        return () => void (slot.end = Date.now());
      }
      if (this.slots.length >= this.limit) {
        const oldest = Math.min(...this.slots.map((s) => s.end));
        // Every slot still in flight: look again shortly, its answer frees the slot's clock.
        wait = Math.max(wait, oldest === Infinity ? 20 : oldest + this.windowMs - now);
      }
      await sleep(Math.max(1, wait), signal);
    }
  }
}

/** Retry-After as seconds or an HTTP date (RFC 9110 §10.2.3), in ms from `now`. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.ceil(Number(text) * 1000);
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export interface RevenueCatClientOptions {
  /** The project's secret API key (`sk_…`); sent as a Bearer token, never logged or put in an error. */
  readonly apiKey: string;
  readonly baseUrl?: string;
  /** RevenueCat's Customer Information domain allows 480 requests a minute per key (API v2 "Rate Limit"). */
  readonly requestsPerMinute?: number;
  /** The Project Configuration domain (products, entitlements) allows 60 a minute. */
  readonly configRequestsPerMinute?: number;
  /** The limit's window; tests shrink it. */
  readonly windowMs?: number;
  readonly timeoutMs?: number;
  /** Tries per call when the answer is 5xx, 423, a timeout or a network error. */
  readonly maxAttempts?: number;
  readonly backoffBaseMs?: number;
  readonly backoffMaxMs?: number;
  /** A longer Retry-After fails the call (`retry: true`, `retryAfterMs`) so a job can wait durably instead. */
  readonly maxRetryAfterMs?: number;
}

export interface CallOptions {
  readonly signal?: AbortSignal;
}

export interface CustomerPage {
  readonly items: RevenueCatCustomer[];
  /** The `starting_after` for the next page; undefined after the last one. */
  readonly nextCursor: string | undefined;
}

/** 429s one call accepts before it gives up; each waits as long as RevenueCat asked. */
const maxRateLimitedAnswers = 20;
const enc = encodeURIComponent;

type Answer = { status: number; headers: Headers; body: string } | { failure: string };

/** RevenueCat's REST API v1 and v2 over Node's fetch, within the key's rate limit. */
export class RevenueCatClient {
  readonly #authorization: string;
  private readonly baseUrl: string;
  private readonly limiter: SlidingWindowLimiter;
  private readonly configLimiter: SlidingWindowLimiter;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly backoffBaseMs: number;
  private readonly backoffMaxMs: number;
  private readonly maxRetryAfterMs: number;

  constructor(options: RevenueCatClientOptions) {
    if (!options.apiKey) throw new Error('RevenueCat client: apiKey is required (the project secret API key)');
    this.#authorization = `Bearer ${options.apiKey}`;
    this.baseUrl = (options.baseUrl ?? 'https://api.revenuecat.com').replace(/\/+$/, '');
    const windowMs = options.windowMs ?? 60_000;
    this.limiter = new SlidingWindowLimiter(options.requestsPerMinute ?? 480, windowMs);
    this.configLimiter = new SlidingWindowLimiter(options.configRequestsPerMinute ?? 60, windowMs);
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.maxAttempts = options.maxAttempts ?? 5;
    this.backoffBaseMs = options.backoffBaseMs ?? 500;
    this.backoffMaxMs = options.backoffMaxMs ?? 30_000;
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 120_000;
  }

  /** API v1 customer info, or undefined on 404. v1 documents get-or-create: an unknown id answers 201 with an empty subscriber. */
  async getSubscriber(appUserId: string, options: CallOptions = {}): Promise<RevenueCatSubscriber | undefined> {
    const schema = z.looseObject({ subscriber: RevenueCatSubscriber });
    return (await this.call(`/v1/subscribers/${enc(appUserId)}`, schema, options, { missing: true }))?.subscriber;
  }

  /** API v2 "Get a customer" (with its active entitlements), or undefined on 404; never creates one. */
  async getCustomer(projectId: string, customerId: string, options: CallOptions = {}): Promise<RevenueCatCustomer | undefined> {
    return this.call(`/v2/projects/${enc(projectId)}/customers/${enc(customerId)}`, RevenueCatCustomer, options, { missing: true });
  }

  /** One page of the project's customers (cursor pagination: `starting_after` is the previous page's last id). */
  async listCustomers(projectId: string, page: CallOptions & { startingAfter?: string; limit?: number } = {}): Promise<CustomerPage> {
    const query = new URLSearchParams();
    if (page.limit !== undefined) query.set('limit', String(page.limit));
    if (page.startingAfter !== undefined) query.set('starting_after', page.startingAfter);
    const path = `/v2/projects/${enc(projectId)}/customers${query.size ? `?${query}` : ''}`;
    const body = await this.call(path, list(RevenueCatCustomer), page, {});
    return { items: body!.items, nextCursor: nextCursor(body!.next_page, body!.items, page.startingAfter, path) };
  }

  async listAliases(projectId: string, customerId: string, options: CallOptions = {}): Promise<RevenueCatAlias[]> {
    return this.all(`/v2/projects/${enc(projectId)}/customers/${enc(customerId)}/aliases`, RevenueCatAlias, options);
  }

  async listSubscriptions(projectId: string, customerId: string, options: CallOptions = {}): Promise<RevenueCatSubscription[]> {
    return this.all(`/v2/projects/${enc(projectId)}/customers/${enc(customerId)}/subscriptions`, RevenueCatSubscription, options);
  }

  async listActiveEntitlements(projectId: string, customerId: string, options: CallOptions = {}): Promise<RevenueCatActiveEntitlement[]> {
    return this.all(`/v2/projects/${enc(projectId)}/customers/${enc(customerId)}/active_entitlements`, RevenueCatActiveEntitlement, options);
  }

  /** The product catalogue (Project Configuration domain): maps v2 product ids to store ids and durations. */
  async listProducts(projectId: string, options: CallOptions = {}): Promise<RevenueCatProduct[]> {
    return this.all(`/v2/projects/${enc(projectId)}/products`, RevenueCatProduct, options, true);
  }

  /** The entitlement catalogue (Project Configuration domain): maps entitlement ids to lookup keys. */
  async listEntitlements(projectId: string, options: CallOptions = {}): Promise<RevenueCatEntitlement[]> {
    return this.all(`/v2/projects/${enc(projectId)}/entitlements`, RevenueCatEntitlement, options, true);
  }

  private async all<T extends z.ZodType>(base: string, item: T, options: CallOptions, config = false): Promise<z.infer<T>[]> {
    const items: z.infer<T>[] = [];
    let cursor: string | undefined;
    do {
      const path = cursor === undefined ? base : `${base}?starting_after=${enc(cursor)}`;
      const body = await this.call(path, list(item), options, { config });
      items.push(...body!.items);
      cursor = nextCursor(body!.next_page, body!.items as { id?: unknown }[], cursor, path);
    } while (cursor !== undefined);
    return items;
  }

  private async call<T extends z.ZodType>(path: string, schema: T, options: CallOptions, how: { missing?: boolean; config?: boolean }): Promise<z.infer<T> | undefined> {
    const { signal } = options;
    let failures = 0;
    let rateLimited = 0;
    for (;;) {
      const releaseConfig = how.config ? await this.configLimiter.acquire(signal) : undefined;
      let answer: Answer;
      try {
        const release = await this.limiter.acquire(signal);
        try {
          answer = await this.send(path, signal);
        } finally {
          release();
        }
      } finally {
        releaseConfig?.();
      }
      if ('status' in answer && answer.status >= 200 && answer.status < 300) return parseBody(schema, answer.body, path);
      if ('status' in answer && answer.status === 404 && how.missing) return undefined;
      if ('status' in answer && answer.status === 429) {
        const wait = parseRetryAfter(answer.headers.get('retry-after'), Date.now()) ?? errorOf(answer.body).backoffMs ?? this.backoff(rateLimited + 1);
        if (wait > this.maxRetryAfterMs) throw new RevenueCatError(`RevenueCat GET ${path} answered 429 with Retry-After ${Math.ceil(wait / 1000)} s, over the ${this.maxRetryAfterMs / 1000} s a call waits`, path, true, 429, wait);
        if (++rateLimited > maxRateLimitedAnswers) throw new RevenueCatError(`RevenueCat GET ${path} answered 429 ${rateLimited} times`, path, true, 429, wait);
        this.limiter.pauseUntil(Date.now() + wait);
        continue;
      }
      // 423 (resource_locked_error) is documented as retryable, like 5xx.
      if ('failure' in answer || answer.status >= 500 || answer.status === 423) {
        const what = 'failure' in answer ? answer.failure : `answered ${answer.status}${errorOf(answer.body).detail}`;
        if (++failures >= this.maxAttempts) throw new RevenueCatError(`RevenueCat GET ${path} failed after ${failures} attempts: ${what}`, path, true, 'status' in answer ? answer.status : undefined);
        await sleep(Math.max(this.backoff(failures), 'status' in answer ? (errorOf(answer.body).backoffMs ?? 0) : 0), signal);
        continue;
      }
      const hint = answer.status === 401 || answer.status === 403 ? ' (check the project secret API key and its permissions)' : '';
      throw new RevenueCatError(`RevenueCat GET ${path} answered ${answer.status}${errorOf(answer.body).detail}${hint}`, path, false, answer.status);
    }
  }

  private async send(path: string, signal: AbortSignal | undefined): Promise<Answer> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    try {
      const response = await fetch(this.baseUrl + path, {
        headers: { authorization: this.#authorization, accept: 'application/json' },
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      return { status: response.status, headers: response.headers, body: await response.text() };
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (timeout.aborted) return { failure: `no answer within ${this.timeoutMs} ms` };
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      return { failure: `network error: ${cause?.code ?? cause?.message ?? (error as Error).message}` };
    }
  }

  /** Exponential, half of it random so clients that failed together do not retry together. */
  private backoff(attempt: number): number {
    const cap = Math.min(this.backoffMaxMs, this.backoffBaseMs * 2 ** (attempt - 1));
    return cap / 2 + Math.random() * (cap / 2);
  }
}

function parseBody<T extends z.ZodType>(schema: T, body: string, path: string): z.infer<T> {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new RevenueCatError(`RevenueCat GET ${path} answered with a body that is not JSON`, path, true);
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new RevenueCatError(`RevenueCat GET ${path} answered an unexpected shape: ${issue?.path.join('.') || 'body'}: ${issue?.message}`, path, false);
}

/** RevenueCat's error body (v2: type, message, backoff_ms; v1: message), for the error text. */
function errorOf(body: string): { detail: string; backoffMs?: number } {
  try {
    const e = JSON.parse(body) as { type?: unknown; message?: unknown; backoff_ms?: unknown };
    const text = [e.type, e.message].filter((v) => typeof v === 'string').join(': ').slice(0, 300);
    return { detail: text ? ` (${text})` : '', ...(typeof e.backoff_ms === 'number' && { backoffMs: e.backoff_ms }) };
  } catch {
    return { detail: '' };
  }
}

/** The next `starting_after`, read from `next_page` (never followed as a URL: the key only goes to `baseUrl`). */
function nextCursor(nextPage: string | null | undefined, items: { id?: unknown }[], previous: string | undefined, path: string): string | undefined {
  if (!nextPage || items.length === 0) return undefined;
  const fromLink = new URL(nextPage, 'https://next-page.invalid').searchParams.get('starting_after');
  const last = items.at(-1)?.id;
  const cursor = fromLink ?? (typeof last === 'string' ? last : undefined);
  if (cursor === previous) throw new RevenueCatError(`RevenueCat GET ${path} gave the same next page cursor again`, path, false);
  return cursor;
}
