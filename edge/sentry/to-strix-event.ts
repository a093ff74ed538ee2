import { randomUUID } from 'node:crypto';
import { IngestLimits, type EventException, type StackFrame } from '@strix/contracts';
import { AttributeBudget, breadcrumbTrail, truncateText } from './attributes.ts';
import { type SentryEvent, type SentryException, type SentryFrame } from './sentry-event.ts';

const { maxStackFrames, maxFrameFieldChars, maxShortFieldChars } = IngestLimits;

/**
 * A Sentry event in the shape `POST /v1/ingest` takes, to be validated as that endpoint
 * validates its events, with where each field came from so a refusal names the Sentry field.
 */
export interface MappedEvent {
  event: Record<string, unknown>;
  origins: Origins;
}

export interface Origins {
  /** Strix field → the Sentry field it was read from (`app_version` → `release`). */
  fields: Map<string, string>;
  /** Attribute key → the Sentry field it was read from (`tags.plan`, `user.email`). */
  attributes: Map<string, string>;
  /** Frames dropped from the outer end of the stack (over Strix's limit): Strix's frame n is Sentry's n + this. */
  frameOffset: number;
}

export interface MappingContext {
  /** The envelope header's `event_id`, for an event item without its own. */
  eventId?: string | undefined;
  /** How far the client's clock runs ahead of Strix's (its envelope's `sent_at`); its times are moved back by this. */
  clockAheadMs?: number | undefined;
}

/** Sentry's title for an event with neither a message nor an exception. */
const unlabeled = '<unlabeled event>';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Sentry's id form (32 lowercase hex): a dashed UUID is the same id, so a retry spelled either way is one event. */
function eventIdOf(raw: string | null | undefined): string | undefined {
  if (!raw) return undefined;
  return UUID.test(raw) ? raw.replaceAll('-', '').toLowerCase() : raw;
}

/**
 * `package@version+build` (Sentry's convention) → the version and the build; a bare
 * `1.2.3+45` too. What does not look like a version (a commit hash) stays whole.
 */
export function parseRelease(release: string): { version: string; build?: string } {
  const at = release.lastIndexOf('@');
  const version = at > 0 && at < release.length - 1 ? release.slice(at + 1) : release;
  const plus = version.indexOf('+');
  if (/^v?\d/.test(version) && plus > 0 && plus < version.length - 1) {
    return { version: version.slice(0, plus), build: version.slice(plus + 1) };
  }
  return { version };
}

/** Epoch ms from Sentry's float seconds or an ISO string (no zone means UTC); what cannot be read is passed on for validation to name. */
function timestampOf(raw: number | string, clockAheadMs: number): number | string {
  let ms: number;
  if (typeof raw === 'number') ms = raw * 1000;
  else if (/^\d+(?:\.\d+)?$/.test(raw)) ms = Number(raw) * 1000;
  else ms = Date.parse(/(?:Z|[+-]\d{2}:?\d{2})$/i.test(raw) || !raw.includes('T') ? raw : `${raw}Z`);
  return Number.isFinite(ms) ? Math.round(ms - clockAheadMs) : raw;
}

/** The error an event reports: the last exception value (Sentry lists causes first, the error raised last). */
function mainException(event: SentryEvent): { exception: SentryException; index: number } | undefined {
  const values = event.exception?.values ?? [];
  const index = values.length - 1;
  const exception = values[index];
  if (exception) return { exception, index };
  return event.stacktrace ? { exception: { stacktrace: event.stacktrace }, index: -1 } : undefined;
}

const frameText = (value: string | null | undefined) => (value ? truncateText(value, maxFrameFieldChars) : undefined);
const lineOrColumn = (value: number | null | undefined) => (value != null && Number.isInteger(value) && value >= 0 ? value : undefined);

/** Sentry's frame as Strix's (same field names); text cut to Strix's limit, a bad line or column dropped (they are display-only). */
function toStackFrame(frame: SentryFrame): StackFrame {
  const out: StackFrame = {};
  const fn = frameText(frame.function);
  if (fn !== undefined) out.function = fn;
  const module = frameText(frame.module);
  if (module !== undefined) out.module = module;
  const filename = frameText(frame.filename);
  if (filename !== undefined) out.filename = filename;
  const absPath = frameText(frame.abs_path);
  if (absPath !== undefined) out.abs_path = absPath;
  const lineno = lineOrColumn(frame.lineno);
  if (lineno !== undefined) out.lineno = lineno;
  const colno = lineOrColumn(frame.colno);
  if (colno !== undefined) out.colno = colno;
  if (frame.in_app != null) out.in_app = frame.in_app;
  return out;
}

/** The exception in Strix's shape; the innermost frames are kept when there are more than Strix stores. */
function toException(exception: SentryException): { exception: EventException; frameOffset: number } {
  const out: EventException = {};
  if (exception.type) out.type = exception.type;
  if (exception.value) out.value = exception.value;
  const frames = exception.stacktrace?.frames ?? [];
  const frameOffset = Math.max(0, frames.length - maxStackFrames);
  if (frames.length > 0) out.stacktrace = { frames: frames.slice(frameOffset).map(toStackFrame) };
  return { exception: out, frameOffset };
}

const logText = (entry: SentryEvent['message'] | SentryEvent['logentry']): string | undefined =>
  typeof entry === 'string' ? entry || undefined : entry?.formatted || entry?.message || undefined;

/** The event's message and the field it came from: an error's value, else the logged message, else the exception's type. */
function messageOf(event: SentryEvent, main: ReturnType<typeof mainException>): [string, string] {
  const at = main && main.index >= 0 ? `exception.values[${main.index}]` : undefined;
  const raised = main && !main.exception.mechanism?.synthetic ? main.exception : undefined;
  if (at && raised?.value) return [raised.value, `${at}.value`];
  const logged = logText(event.logentry) ?? logText(event.message);
  if (logged) return [logged, event.logentry ? 'logentry' : 'message'];
  if (at && main?.exception.value) return [main.exception.value, `${at}.value`];
  if (at && main?.exception.type) return [main.exception.type, `${at}.type`];
  return [unlabeled, 'message'];
}

const asRecord = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
const asText = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined);
/** "Debian 12.11", "node v20.11.1": a context's name and version, as Sentry shows them. */
const nameAndVersion = (context: Record<string, unknown> | undefined) =>
  [asText(context?.name), asText(context?.version)].filter(Boolean).join(' ') || undefined;
const shortField = (value: string | undefined) => (value === undefined ? undefined : truncateText(value, maxShortFieldChars));

/** Maps one Sentry error or message event onto Strix's event model (see README, "Sentry SDKs"). */
export function toStrixEvent(sentry: SentryEvent, context: MappingContext = {}): MappedEvent {
  const fields = new Map<string, string>();
  const event: Record<string, unknown> = {};
  const set = (field: string, value: unknown, origin: string) => {
    if (value === undefined || value === null) return;
    event[field] = value;
    fields.set(field, origin);
  };

  set('client_event_id', eventIdOf(sentry.event_id) ?? eventIdOf(context.eventId) ?? randomUUID().replaceAll('-', ''), 'event_id');
  set('level', sentry.level ?? 'error', 'level');
  if (sentry.timestamp != null) set('timestamp', timestampOf(sentry.timestamp, context.clockAheadMs ?? 0), 'timestamp');

  const main = mainException(sentry);
  const [message, messageOrigin] = messageOf(sentry, main);
  set('message', message, messageOrigin);
  let frameOffset = 0;
  if (main) {
    const mapped = toException(main.exception);
    frameOffset = mapped.frameOffset;
    set('exception', mapped.exception, main.index >= 0 ? `exception.values[${main.index}]` : 'stacktrace');
  }
  if (sentry.fingerprint) set('fingerprint', sentry.fingerprint.map(String), 'fingerprint');

  if (sentry.release) {
    const { version, build } = parseRelease(sentry.release);
    set('app_version', version, 'release');
    set('build_number', build, 'release');
  }
  if (sentry.dist && event.build_number === undefined) set('build_number', sentry.dist, 'dist');
  set('environment', sentry.environment || undefined, 'environment');
  if (sentry.user?.id != null && sentry.user.id !== '') set('user_id', String(sentry.user.id), 'user.id');
  set('source_module', shortField(asText(sentry.logger)), 'logger');

  const contexts = sentry.contexts ?? {};
  const os = asRecord(contexts.os);
  set('os_version', shortField(nameAndVersion(os) ?? asText(os?.raw_description)), 'contexts.os');
  set('device_model', shortField(asText(asRecord(contexts.device)?.model)), 'contexts.device.model');
  set('locale', shortField(asText(asRecord(contexts.culture)?.locale)), 'contexts.culture.locale');
  const app = asRecord(contexts.app);
  if (event.app_version === undefined) set('app_version', shortField(asText(app?.app_version)), 'contexts.app.app_version');
  if (event.build_number === undefined) set('build_number', shortField(asText(app?.app_build)), 'contexts.app.app_build');

  const attributes = attributesOf(sentry, main);
  if (attributes.size > 0) set('attributes', attributes.values, 'tags');
  return { event, origins: { fields, attributes: attributes.origins, frameOffset } };
}

/** Tags first (the client chose them), then who, how it was caught, where it ran, the trail, and extra data. */
function attributesOf(sentry: SentryEvent, main: ReturnType<typeof mainException>): AttributeBudget {
  const budget = new AttributeBudget();
  const tags = Array.isArray(sentry.tags) ? sentry.tags : Object.entries(sentry.tags ?? {});
  for (const [key, value] of tags) budget.add(key, typeof value === 'object' ? undefined : value, `tags.${key}`);

  for (const [key, value] of Object.entries(sentry.user ?? {})) {
    // `{{auto}}` asks Sentry's server to fill the address in; Strix does not.
    if (key === 'id') continue;
    if (key === 'geo') for (const [part, inner] of Object.entries(asRecord(value) ?? {})) budget.add(`user.geo.${part}`, inner, `user.geo.${part}`);
    else if (key !== 'data' && value !== '{{auto}}' && typeof value !== 'object') budget.add(`user.${key}`, value, `user.${key}`);
  }

  if (main && main.index >= 0) {
    const at = `exception.values[${main.index}].mechanism`;
    budget.add('handled', main.exception.mechanism?.handled, `${at}.handled`);
    budget.add('mechanism', main.exception.mechanism?.type, `${at}.type`);
    const causes = (sentry.exception?.values ?? []).slice(0, main.index).reverse();
    const described = causes.map((c) => [c.type, c.value].filter(Boolean).join(': ')).filter(Boolean);
    budget.add('causes', described.join('\n'), 'exception.values');
  }

  const contexts = sentry.contexts ?? {};
  budget.add('runtime', nameAndVersion(asRecord(contexts.runtime)), 'contexts.runtime');
  budget.add('browser', nameAndVersion(asRecord(contexts.browser)), 'contexts.browser');
  budget.add('trace_id', asText(asRecord(contexts.trace)?.trace_id), 'contexts.trace.trace_id');
  budget.add('transaction', sentry.transaction, 'transaction');
  budget.add('url', sentry.request?.url, 'request.url');
  budget.add('platform', sentry.platform, 'platform');
  budget.add('server_name', sentry.server_name, 'server_name');
  const sdk = sentry.sdk;
  if (sdk?.name) budget.add('sdk', sdk.version ? `${sdk.name}/${sdk.version}` : sdk.name, 'sdk');

  const breadcrumbs = Array.isArray(sentry.breadcrumbs) ? sentry.breadcrumbs : (sentry.breadcrumbs?.values ?? []);
  budget.add('breadcrumbs', breadcrumbTrail(breadcrumbs), 'breadcrumbs');
  for (const [key, value] of Object.entries(sentry.extra ?? {})) budget.add(`extra.${key}`, value, `extra.${key}`);
  return budget;
}

/**
 * A refusal of the mapped event by `/v1/ingest`'s validation (`events[0].app_version: must be at
 * most 256 characters`), reworded to name the Sentry field the client sent (`release: …`).
 */
export function describeRefusal(message: string, origins: Origins): string {
  const match = /^events\[\d+\]\.([A-Za-z_$]+)(.*)$/s.exec(message);
  if (!match) return message;
  const [, field = '', rest = ''] = match;
  if (field === 'attributes') {
    // Keys hold dots (`user.email`): match the keys this event has, as either spelling names them.
    for (const [key, origin] of origins.attributes) {
      for (const spelled of [`.${key}`, `[${JSON.stringify(key)}]`]) {
        if (rest.startsWith(`${spelled}:`)) return `${origin}${rest.slice(spelled.length)}`;
      }
    }
    return `tags${rest}`;
  }
  const origin = origins.fields.get(field) ?? field;
  if (field !== 'exception') return `${origin}${rest}`;
  // Strix's frame n is the Sentry frame n + offset; zod spells the index `.3`, the text check `[3]`.
  const frames = rest.replace(/^\.stacktrace\.frames(?:\.(\d+)|\[(\d+)\])/, (_, dotted?: string, bracketed?: string) => `.stacktrace.frames[${Number(dotted ?? bracketed) + origins.frameOffset}]`);
  // A stack sent without an exception is the event's own `stacktrace`.
  return origin === 'stacktrace' ? frames.replace(/^\.stacktrace/, 'stacktrace') : `${origin}${frames}`;
}
