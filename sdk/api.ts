import type { Breadcrumb } from './breadcrumbs.ts';
import type { DeliveryStats } from './delivery.ts';
import type { KeyValueStorage } from './platform.ts';
import type { RetryPolicy } from './retry.ts';
import type { Level, Signal } from './wire.ts';

export type Consent = 'pending' | 'granted' | 'denied';

export interface StrixOptions {
  /** A client key (`strix_client_…`). Without one, every call is a no-op. */
  key?: string;
  /** Strix's URL, e.g. `https://strix.example.com`. In browsers it defaults to the page's own origin. */
  endpoint?: string;
  app_version?: string;
  build_number?: string;
  environment?: string;
  /** Development data: kept apart from production in every view. */
  isDev?: boolean;
  /** The signed-in user, if known at start (else `identify` later). */
  user_id?: string;
  /**
   * `granted` (the default): events are sent. `pending`: events are held in memory only (bounded,
   * nothing written to storage) until `setConsent('granted')` sends them or `'denied'` drops them.
   */
  consent?: Consent;
  /** Adds a breadcrumb for every `track` (and pageview), so an error shows the steps before it. */
  trackBreadcrumbs?: boolean;
  /** Breadcrumbs kept for the next error (default 30). */
  maxBreadcrumbs?: number;
  /** Items kept per signal before the oldest are evicted (default 500). */
  bufferSize?: number;
  /** A signal holding this many items is sent without waiting for the interval (default 50). */
  flushThreshold?: number;
  /** How often queued items are sent (default 30 s). */
  flushIntervalMs?: number;
  /** A new session starts after this long without events (default 30 minutes). */
  sessionIdleMs?: number;
  /** A request without an answer after this long is retried later (default 10 s). */
  requestTimeoutMs?: number;
  /** Characters of each signal's queue kept in storage while undelivered (default 200,000). */
  persistedChars?: number;
  retry?: Partial<RetryPolicy>;
  /**
   * Where the offline queue, device id, session, user and variants are kept. Browsers default to
   * `localStorage`; Node to memory only (pass `fileStorage(path)` to keep them across restarts);
   * `null` keeps nothing.
   */
  storage?: KeyValueStorage | null;
  /**
   * Browsers without `fetch` keepalive: deliver on page hide with `navigator.sendBeacon`, the key in
   * the URL's `strix_key` (a beacon cannot send headers) and JSON typed text/plain (README.md,
   * "Page-hide delivery"). On by default; off, what is queued at page hide waits in storage for the next page.
   */
  beacon?: boolean;
  /** Browsers: a `$pageview` at start and on every history change (default true). */
  autoPageviews?: boolean;
  /** Browsers: uncaught errors and unhandled rejections become error events (default true). */
  captureUnhandled?: boolean;
  /** Logs the SDK's own failures to the console (they are never thrown). */
  debug?: boolean;
}

export interface LogOptions {
  attributes?: Record<string, unknown>;
  /** The event's name (defaults to its message on the server). */
  name?: string;
  source_module?: string;
  /** A grouping key replacing the default one (`'{{ default }}'` stands for the default's parts). */
  fingerprint?: readonly string[];
}

/** A file sent with an error (Node): by path, or bytes with a name. At most 100 MiB. */
export type Attachment = { path: string; name?: string; content_type?: string } | { data: Uint8Array; name: string; content_type?: string };

export interface ExceptionOptions extends LogOptions {
  /** Default `error`. */
  level?: Level;
  /** Node only: files uploaded with the error (the event's `client_event_id` links them). */
  attachments?: readonly Attachment[];
}

export interface TrackOptions {
  props?: Record<string, unknown>;
  /** The page or screen (`$pageview`); the server keeps its section only. */
  path?: string;
}

/** Links a metric to a trace span. */
export interface SpanContext {
  trace_id?: string;
  span_id?: string;
}

export interface MetricOptions {
  unit?: string;
  tags?: Record<string, unknown>;
  parent?: SpanContext;
}

export interface UserPropertiesInput {
  /** Overwrites each property. */
  $set?: Record<string, unknown>;
  /** Sets each property only if the user has none yet. */
  $set_once?: Record<string, unknown>;
}

/** An operation being measured: end it once; later ends are ignored. */
export interface MetricOperation {
  readonly trackingId: string;
  complete(options?: { tags?: Record<string, unknown> }): void;
  fail(error?: unknown, options?: { tags?: Record<string, unknown> }): void;
  cancel(options?: { tags?: Record<string, unknown> }): void;
}

export interface StrixStats extends DeliveryStats {
  /** Exceptions inside the SDK, caught and counted (never thrown to the host). */
  internalErrors: number;
  storageFailures: number;
  attachmentsUploaded: number;
  attachmentsFailed: number;
  pending: Record<Signal, number>;
}

export interface StrixClient {
  /** False when the client does nothing (no key). */
  readonly enabled: boolean;
  readonly consent: Consent;
  debug(message: string, options?: LogOptions): void;
  info(message: string, options?: LogOptions): void;
  warn(message: string, options?: LogOptions): void;
  error(message: string, options?: LogOptions): void;
  /** Reports an error with its stack; returns the event's `client_event_id`. */
  captureException(error: unknown, options?: ExceptionOptions): string | undefined;
  track(name: string, options?: TrackOptions): void;
  /** A `$pageview` of `path` (browsers: the current page when omitted). */
  pageview(path?: string): void;
  recordMetric(name: string, value: number, options?: MetricOptions): void;
  /** Starts measuring an operation; its end carries the measured duration. */
  startMetric(name: string, options?: MetricOptions): MetricOperation;
  /** Sets the user of the events that follow, with user properties. */
  identify(userId: string, properties?: UserPropertiesInput): void;
  /** Sign-out: no user, and a new session. */
  reset(): void;
  /** The variant of an experiment: assigned once at random among `variants`, kept, attached to every event. */
  getVariant(experiment: string, variants: readonly string[]): string;
  /** Forces a variant (a server-side assignment, QA). */
  setExperiment(experiment: string, variant: string): void;
  addBreadcrumb(crumb: Breadcrumb): void;
  setConsent(consent: Consent): void;
  /** Sends everything queued now; resolves when done or when sending must wait. Never rejects. */
  flush(): Promise<void>;
  /** Flushes, then stops timers and listeners. */
  shutdown(): Promise<void>;
  stats(): StrixStats;
}
