import type { LogOptions, MetricOptions, StrixOptions, TrackOptions } from './api.ts';
import { BREADCRUMBS_ATTRIBUTE } from './breadcrumbs.ts';
import type { Identity } from './identity.ts';
import type { DeviceContext } from './platform.ts';
import { Limits, anyText, attributes, fingerprint, text, type ExceptionInfo, type ItemContext, type Level, type LogItem, type MetricItem, type MetricPhase, type TrackItem } from './wire.ts';

/** The end of a measured operation. */
export interface MetricEnd {
  trackingId: string;
  durationMs?: number;
  error?: string;
}

/** The context fields that are the same for every item of a client, cut to the server's limits. */
function fixedContext(options: StrixOptions, device: DeviceContext): Partial<ItemContext> {
  const fields: Partial<ItemContext> = {};
  const short = (v: string | undefined) => (v === undefined ? undefined : text(String(v), Limits.maxShortFieldChars));
  for (const [key, value] of [
    ['app_version', short(options.app_version)],
    ['build_number', short(options.build_number)],
    ['environment', short(options.environment)],
    ['locale', short(device.locale)],
    ['os_version', short(device.os_version)],
    ['device_model', short(device.device_model)],
  ] as const) {
    if (value) fields[key] = value;
  }
  if (options.isDev) fields.is_dev = true;
  return fields;
}

/** Builds items as the batch endpoints accept them, each within the server's limits. */
export class ItemFactory {
  private counter = 0;
  private readonly fixed: Partial<ItemContext>;

  constructor(
    options: StrixOptions,
    device: DeviceContext,
    private readonly identity: Identity,
    /** Random per client instance: ids are unique without a random draw per event. */
    private readonly idPrefix: string,
  ) {
    this.fixed = fixedContext(options, device);
  }

  nextId(): string {
    return this.idPrefix + (this.counter++).toString(36);
  }

  /**
   * The shared fields of a new item, as one object literal of a fixed shape: absent fields are
   * undefined (JSON leaves them out). Spreading the fixed context into each item cost several
   * times more per call (bench/sdk.ts).
   */
  context(): ItemContext {
    const now = Date.now();
    const f = this.fixed;
    return {
      client_event_id: this.nextId(),
      timestamp: now,
      session_id: this.identity.sessionId(now),
      user_id: this.identity.userId,
      experiments: this.identity.experimentsIfAny,
      environment: f.environment,
      app_version: f.app_version,
      build_number: f.build_number,
      os_version: f.os_version,
      device_model: f.device_model,
      locale: f.locale,
      is_dev: f.is_dev,
    };
  }

  /** A log line or an error; `trail` (breadcrumbs) joins the attributes when there is room. */
  log(level: Level, message: string, options: LogOptions | undefined, exception?: ExceptionInfo, trail?: string): LogItem {
    const item = this.context() as LogItem;
    item.level = level;
    item.message = anyText(message, Limits.maxMessageChars) || '(empty message)';
    if (options?.name) item.name = text(String(options.name), Limits.maxNameChars);
    if (options?.source_module) item.source_module = text(String(options.source_module), Limits.maxShortFieldChars);
    let attrs = attributes(options?.attributes);
    if (trail !== undefined && (attrs === undefined || Object.keys(attrs).length < Limits.maxAttributes)) attrs = { ...attrs, [BREADCRUMBS_ATTRIBUTE]: trail };
    if (attrs) item.attributes = attrs;
    const parts = fingerprint(options?.fingerprint);
    if (parts) item.fingerprint = parts;
    if (exception) item.exception = exception;
    return item;
  }

  track(name: string, options: TrackOptions | undefined): TrackItem {
    const item = this.context() as TrackItem;
    item.name = text(String(name), Limits.maxNameChars) || '(unnamed)';
    if (options) {
      item.props = attributes(options.props);
      if (options.path !== undefined) item.path = text(String(options.path), Limits.maxPathChars);
    }
    return item;
  }

  metric(name: string, phase: MetricPhase, options: MetricOptions | undefined, value?: number, end?: MetricEnd): MetricItem {
    const item = this.context() as MetricItem;
    item.name = text(String(name), Limits.maxNameChars) || '(unnamed)';
    item.phase = phase;
    item.value = value;
    item.tracking_id = end?.trackingId;
    item.duration_ms = end?.durationMs;
    item.error = end?.error;
    if (options) {
      if (options.unit) item.unit = text(String(options.unit), Limits.maxShortFieldChars);
      item.tags = attributes(options.tags);
      if (options.parent?.trace_id) item.trace_id = text(String(options.parent.trace_id), Limits.maxIdChars);
      if (options.parent?.span_id) item.span_id = text(String(options.parent.span_id), Limits.maxIdChars);
    }
    return item;
  }
}
