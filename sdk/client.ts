import type { Attachment, Consent, ExceptionOptions, LogOptions, MetricOperation, MetricOptions, StrixClient, StrixOptions, StrixStats, TrackOptions, UserPropertiesInput } from './api.ts';
import { AttachmentQueue, type AttachmentUploader } from './attachment-queue.ts';
import { Breadcrumbs, type Breadcrumb } from './breadcrumbs.ts';
import { Delivery } from './delivery.ts';
import { ItemFactory } from './items.ts';
import { Identity } from './identity.ts';
import type { Platform } from './platform.ts';
import { defaultRetryPolicy } from './retry.ts';
import { ScopedStorage } from './scoped-storage.ts';
import { describeThrown } from './stack-frames.ts';
import type { Destination } from './transport.ts';
import { Limits, text, userProperties, type ItemContext, type Level, type LogItem, type Signal } from './wire.ts';
import { NoopClient } from './noop-client.ts';
import { sha256Hex } from './sha256.ts';

export interface ClientExtras {
  uploadAttachments?: AttachmentUploader;
  /** The page a `pageview()` without a path names (browsers). */
  currentPath?: () => string | undefined;
  /** Watchers a platform installs on the client (history, global errors); returns their removals. */
  install?: (client: StrixClient, options: StrixOptions) => (() => void)[];
}

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

class Client implements StrixClient {
  readonly enabled = true;
  consent: Consent;
  private readonly storage: ScopedStorage;
  private readonly identity: Identity;
  private readonly delivery: Delivery;
  private readonly breadcrumbs: Breadcrumbs;
  private readonly items: ItemFactory;
  private internalErrors = 0;
  private readonly attachments: AttachmentQueue;
  private removals: (() => void)[] = [];

  constructor(
    private readonly options: StrixOptions & { key: string; endpoint: string },
    private readonly platform: Platform,
    private readonly extras: ClientExtras,
  ) {
    this.consent = options.consent ?? 'granted';
    const granted = () => this.consent === 'granted';
    // Per key, so two apps on one origin keep their queues and ids apart; a hash, so storage does not hold the key.
    this.storage = new ScopedStorage(options.storage === null ? undefined : (options.storage ?? platform.storage), `strix:${sha256Hex(options.key).slice(0, 8)}:`, granted);
    const instanceId = hex(platform.randomBytes(8));
    this.identity = new Identity(this.storage, options.sessionIdleMs ?? 30 * 60_000, () => hex(platform.randomBytes(16)));
    if (options.user_id !== undefined) this.identity.setUser(options.user_id);
    const destination: Destination = { baseUrl: options.endpoint.replace(/\/+$/, ''), key: options.key, deviceId: this.identity.deviceId, timeoutMs: options.requestTimeoutMs ?? 10_000 };
    this.delivery = new Delivery(
      platform,
      destination,
      this.storage,
      {
        bufferSize: options.bufferSize ?? 500,
        flushThreshold: options.flushThreshold ?? 50,
        flushIntervalMs: options.flushIntervalMs ?? 30_000,
        retry: { ...defaultRetryPolicy, ...options.retry },
        persistedChars: options.persistedChars ?? 200_000,
        beacon: options.beacon !== false,
      },
      granted,
      instanceId,
    );
    this.attachments = new AttachmentQueue(extras.uploadAttachments, destination, platform);
    this.breadcrumbs = new Breadcrumbs(options.maxBreadcrumbs ?? 30);
    this.items = new ItemFactory(options, platform.context, this.identity, `${instanceId}-`);
    if (this.consent === 'denied') this.forget();
    this.delivery.restore();
    if (granted()) this.identity.persist();
    const { onHide, onOnline, onExit } = platform;
    this.removals.push(
      ...(onHide ? [onHide(() => this.guard(undefined, () => this.delivery.deliverOnHide()))] : []),
      ...(onOnline ? [onOnline(() => this.guard(undefined, () => this.delivery.online()))] : []),
      ...(onExit ? [onExit(() => this.guard(undefined, () => this.flushAtExit()))] : []),
    );
    this.removals.push(...(extras.install?.(this, options) ?? []));
    if (granted() && Object.values(this.delivery.pending()).some((n) => n > 0)) this.delivery.flushSoon(0);
  }

  /** Runs a public call's body: an exception is counted (and logged in debug), never thrown to the host. */
  private guard<T>(fallback: T, body: () => T): T {
    try {
      return body();
    } catch (error) {
      this.failed(error);
      return fallback;
    }
  }

  private get accepting(): boolean {
    return this.consent !== 'denied';
  }

  /** Counts an exception of the SDK's own (logged in debug); it never reaches the host. */
  private failed(error: unknown): void {
    this.internalErrors++;
    if (this.options.debug) console.warn('[strix] internal error (not thrown):', error);
  }

  private enqueue(signal: Signal, item: ItemContext): void {
    this.delivery.enqueue(signal, item as never);
  }

  private log(level: Level, message: string, options: LogOptions | undefined, exception?: LogItem['exception']): string | undefined {
    if (!this.accepting) return undefined;
    const item = this.items.log(level, message, options, exception, level === 'error' ? this.breadcrumbs.attribute() : undefined);
    this.enqueue('log', item);
    // Errors go within a second (a burst shares one request), not with the 30-second interval.
    if (level === 'error') this.delivery.flushSoon(1_000);
    return item.client_event_id;
  }

  // The calls a host makes most often catch inline: a closure per call showed in bench/sdk.ts.
  debug(message: string, options?: LogOptions): void {
    try {
      this.log('debug', message, options);
    } catch (error) {
      this.failed(error);
    }
  }
  info(message: string, options?: LogOptions): void {
    try {
      this.log('info', message, options);
    } catch (error) {
      this.failed(error);
    }
  }
  warn(message: string, options?: LogOptions): void {
    try {
      this.log('warn', message, options);
    } catch (error) {
      this.failed(error);
    }
  }
  error(message: string, options?: LogOptions): void {
    try {
      this.log('error', message, options);
    } catch (error) {
      this.failed(error);
    }
  }

  captureException(error: unknown, options?: ExceptionOptions): string | undefined {
    return this.guard(undefined, () => {
      const { message, exception } = describeThrown(error);
      const id = this.log(options?.level ?? 'error', message, options, exception);
      if (id !== undefined && options?.attachments?.length) this.upload(options.attachments, id);
      return id;
    });
  }

  private upload(attachments: readonly Attachment[], clientEventId: string): void {
    // Files are not held while consent is pending: they may be large, and memory is bounded.
    if (this.consent !== 'granted') {
      this.attachments.failed += attachments.length;
      return;
    }
    this.attachments.add(attachments, { clientEventId, userId: this.identity.userId });
  }

  track(name: string, options?: TrackOptions): void {
    try {
      if (!this.accepting) return;
      const item = this.items.track(name, options);
      this.enqueue('track', item);
      if (this.options.trackBreadcrumbs) this.breadcrumbs.add({ category: 'track', message: item.path ? `${item.name} ${item.path}` : item.name }, item.timestamp);
    } catch (error) {
      this.failed(error);
    }
  }

  pageview(path?: string): void {
    this.guard(undefined, () => {
      const page = path ?? this.extras.currentPath?.();
      if (page !== undefined) this.track('$pageview', { path: page });
    });
  }

  recordMetric(name: string, value: number, options?: MetricOptions): void {
    try {
      if (!this.accepting || typeof value !== 'number' || !Number.isFinite(value)) return;
      this.enqueue('metric', this.items.metric(name, 'record', options, value));
    } catch (error) {
      this.failed(error);
    }
  }

  startMetric(name: string, options?: MetricOptions): MetricOperation {
    return this.guard(NoopClient.operation, () => {
      if (!this.accepting) return NoopClient.operation;
      const trackingId = this.items.nextId();
      const started = this.platform.monotonicMs();
      this.enqueue('metric', this.items.metric(name, 'start', options, undefined, { trackingId }));
      let ended = false;
      const end = (phase: 'complete' | 'fail' | 'cancel', tags: Record<string, unknown> | undefined, error?: unknown) =>
        this.guard(undefined, () => {
          if (ended || !this.accepting) return;
          ended = true;
          const duration = Math.max(0, Math.round((this.platform.monotonicMs() - started) * 1000) / 1000);
          const failure = error === undefined ? undefined : describeThrown(error).message;
          const merged = tags ? { ...options, tags: { ...options?.tags, ...tags } } : options;
          this.enqueue('metric', this.items.metric(name, phase, merged, undefined, { trackingId, durationMs: duration, error: failure }));
        });
      return {
        trackingId,
        complete: (o) => end('complete', o?.tags),
        fail: (error, o) => end('fail', o?.tags, error ?? 'failed'),
        cancel: (o) => end('cancel', o?.tags),
      };
    });
  }

  identify(userId: string, properties?: UserPropertiesInput): void {
    this.guard(undefined, () => {
      if (!this.accepting || typeof userId !== 'string' || userId.trim() === '') return;
      const changed = this.identity.userId !== text(userId, Limits.maxIdChars);
      this.identity.setUser(userId);
      const $set = userProperties(properties?.$set);
      const $setOnce = userProperties(properties?.$set_once);
      if (!changed && !$set && !$setOnce) return;
      this.enqueue('track', { ...this.items.context(), name: '$identify', ...($set && { $set }), ...($setOnce && { $set_once: $setOnce }) } as ItemContext);
    });
  }

  reset(): void {
    this.guard(undefined, () => {
      this.identity.reset();
      this.breadcrumbs.clear();
    });
  }

  getVariant(experiment: string, variants: readonly string[]): string {
    return this.guard(variants?.[0] ?? '', () => (Array.isArray(variants) && variants.length > 0 ? this.identity.variant(String(experiment), variants.map(String), Math.random) : ''));
  }

  setExperiment(experiment: string, variant: string): void {
    this.guard(undefined, () => this.identity.setVariant(String(experiment), String(variant)));
  }

  addBreadcrumb(crumb: Breadcrumb): void {
    this.guard(undefined, () => (this.accepting ? this.breadcrumbs.add(crumb, Date.now()) : undefined));
  }

  setConsent(consent: Consent): void {
    this.guard(undefined, () => {
      if (consent !== 'pending' && consent !== 'granted' && consent !== 'denied') return;
      this.consent = consent;
      if (consent === 'granted') {
        this.identity.persist();
        this.delivery.persistNow();
        this.delivery.flushSoon(0);
      } else if (consent === 'denied') this.forget();
    });
  }

  /** Consent denied: what is held goes, in memory and in storage. */
  private forget(): void {
    this.delivery.clear();
    this.identity.forget();
    this.breadcrumbs.clear();
  }

  /**
   * Node fires `beforeExit` again after the work a listener started: a flush only when items are
   * waiting and the last one at exit changed something, so a server that is down cannot keep the
   * process alive.
   */
  private flushAtExit(): void {
    const waiting = Object.values(this.delivery.pending()).reduce((a, b) => a + b, 0);
    if (waiting === 0 || waiting === this.waitingAtLastExit) return;
    this.waitingAtLastExit = waiting;
    void this.flush();
  }

  private waitingAtLastExit = 0;

  async flush(): Promise<void> {
    try {
      await Promise.all([this.delivery.flush(), this.attachments.settled()]);
    } catch {
      this.internalErrors++;
    }
  }

  async shutdown(): Promise<void> {
    await this.flush();
    this.guard(undefined, () => {
      for (const remove of this.removals.splice(0)) remove();
      this.delivery.stop();
    });
  }

  stats(): StrixStats {
    return {
      ...this.delivery.stats,
      lastError: this.delivery.stats.lastError ?? this.attachments.lastError,
      internalErrors: this.internalErrors,
      storageFailures: this.storage.failures,
      attachmentsUploaded: this.attachments.uploaded,
      attachmentsFailed: this.attachments.failed,
      pending: this.delivery.pending(),
    };
  }
}

/** A client for `options` on `platform`; without a key (or an endpoint) one that does nothing. */
export function createClient(options: StrixOptions, platform: Platform, extras: ClientExtras = {}): StrixClient {
  try {
    const { key, endpoint } = options ?? {};
    if (typeof key !== 'string' || key === '' || typeof endpoint !== 'string' || endpoint === '') {
      if (options?.debug && key) console.warn('[strix] no endpoint: the SDK does nothing');
      return new NoopClient();
    }
    return new Client({ ...options, key, endpoint }, platform, extras);
  } catch (error) {
    if (options?.debug) console.warn('[strix] could not start (not thrown):', error);
    return new NoopClient();
  }
}
