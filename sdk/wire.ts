/**
 * What the SDK sends, in the shapes Strix's batch endpoints accept (`/v1/ingest`, `/v1/track:batch`,
 * `/v1/metrics:batch`). The SDK imports nothing from the server, so the limits are mirrored here from
 * the server's ingest limits; the live suites check that what the SDK sends at each limit is accepted.
 */

/** Server ingest limits an item must respect to be accepted. */
export const Limits = {
  maxItemsPerBatch: 100,
  /** Body bytes after decompression (1 MiB); batches stay a little under it. */
  maxBodyBytes: 1_000_000,
  maxPastAgeMs: 30 * 24 * 60 * 60 * 1000,
  maxMessageChars: 16 * 1024,
  maxNameChars: 200,
  maxIdChars: 128,
  maxShortFieldChars: 256,
  maxAttributes: 50,
  maxAttributeKeyChars: 128,
  maxAttributeValueChars: 2048,
  maxFingerprintParts: 10,
  maxFingerprintPartChars: 200,
  maxExceptionTypeChars: 200,
  maxStackFrames: 100,
  maxFrameFieldChars: 500,
  maxUserPropertyKeys: 50,
  maxUserPropertyKeyChars: 50,
  maxUserPropertyValueChars: 200,
  maxPathChars: 2048,
} as const;

export type Level = 'debug' | 'info' | 'warn' | 'error';
export type AttributeValue = string | number | boolean | null;
export type Attributes = Record<string, AttributeValue>;
export type UserProperties = Record<string, string | number | boolean>;

/** One stack frame in Sentry's shape (Strix's grouping reads `function`, `filename`/`module` and `in_app`). */
export interface StackFrame {
  function?: string;
  module?: string;
  filename?: string;
  abs_path?: string;
  lineno?: number;
  colno?: number;
  in_app?: boolean;
}

export interface ExceptionInfo {
  type?: string;
  value?: string;
  /** Oldest call first, innermost last. */
  stacktrace?: { frames: StackFrame[] };
}

/** The context every signal shares. */
export interface ItemContext {
  client_event_id: string;
  /** Epoch milliseconds. */
  timestamp: number;
  session_id?: string;
  user_id?: string;
  screen_name?: string;
  experiments?: Record<string, string>;
  environment?: string;
  os_version?: string;
  app_version?: string;
  build_number?: string;
  device_model?: string;
  locale?: string;
  is_dev?: boolean;
  $set?: UserProperties;
  $set_once?: UserProperties;
}

/** `POST /v1/ingest`: a log line or an error. */
export interface LogItem extends ItemContext {
  level: Level;
  message: string;
  name?: string;
  source_module?: string;
  attributes?: Attributes;
  fingerprint?: string[];
  exception?: ExceptionInfo;
}

/** `POST /v1/track:batch`: a product event. */
export interface TrackItem extends ItemContext {
  name: string;
  props?: Attributes;
  path?: string;
}

export type MetricPhase = 'record' | 'start' | 'complete' | 'fail' | 'cancel';

/** `POST /v1/metrics:batch`: a value, or one phase of an operation. */
export interface MetricItem extends ItemContext {
  name: string;
  phase: MetricPhase;
  value?: number;
  unit?: string;
  tracking_id?: string;
  duration_ms?: number;
  error?: string;
  tags?: Attributes;
  trace_id?: string;
  span_id?: string;
}

export type Signal = 'log' | 'track' | 'metric';
export type Item = LogItem | TrackItem | MetricItem;

/** Where each signal goes, and the body's list field. */
export const routes: Record<Signal, { path: string; field: 'events' | 'points' }> = {
  log: { path: '/v1/ingest', field: 'events' },
  track: { path: '/v1/track:batch', field: 'events' },
  metric: { path: '/v1/metrics:batch', field: 'points' },
};

/**
 * Text as the server accepts it: well-formed Unicode (it refuses lone surrogates) and at most `max`
 * UTF-16 units, cut so that no surrogate pair is split.
 */
export function text(value: string, max: number): string {
  let out = value.length > max ? value.slice(0, max) : value;
  if (out.length === max && isHighSurrogate(out.charCodeAt(max - 1))) out = out.slice(0, max - 1);
  return loneSurrogateAt(out) < 0 ? out : replaceLoneSurrogates(out);
}

/** The index of the first lone surrogate, or -1. A loop, not a regular expression: lookbehind breaks older Safari. */
function loneSurrogateAt(s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (isHighSurrogate(c) && i + 1 < s.length && isLowSurrogate(s.charCodeAt(i + 1))) {
      i++;
      continue;
    }
    return i;
  }
  return -1;
}

function replaceLoneSurrogates(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (isHighSurrogate(c) && i + 1 < s.length && isLowSurrogate(s.charCodeAt(i + 1))) {
      out += s[i]! + s[i + 1]!;
      i++;
    } else out += c >= 0xd800 && c <= 0xdfff ? '\uFFFD' : s[i]!;
  }
  return out;
}

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;
const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff;

/** Anything as text of at most `max` characters: objects as JSON, never throwing. */
export function anyText(value: unknown, max: number): string {
  if (typeof value === 'string') return text(value, max);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  if (value !== null && typeof value === 'object') {
    try {
      const json = JSON.stringify(value);
      if (json !== undefined) return text(json, max);
    } catch {
      // Cycles and throwing getters: the tag below says what it was.
    }
    return text(Object.prototype.toString.call(value), max);
  }
  return text(String(value), max);
}

/** One attribute value as the server stores it; undefined for what has no meaning as data (functions, symbols). */
function attributeValue(value: unknown): AttributeValue | undefined {
  switch (typeof value) {
    case 'string':
      return text(value, Limits.maxAttributeValueChars);
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'boolean':
      return value;
    case 'bigint':
      return String(value);
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    case 'object':
      return value === null ? null : anyText(value, Limits.maxAttributeValueChars);
    default:
      return undefined;
  }
}

/** At most `maxKeys` non-empty keys cut to `maxKeyChars`, each with the value `valueOf` keeps (undefined: the key is skipped). */
function boundedMap<V>(
  input: Record<string, unknown> | undefined,
  maxKeys: number,
  maxKeyChars: number,
  valueOf: (raw: unknown) => V | undefined,
): Record<string, V> | undefined {
  if (!input || typeof input !== 'object') return undefined;
  let out: Record<string, V> | undefined;
  let count = 0;
  for (const key of Object.keys(input)) {
    if (count >= maxKeys) break;
    const value = valueOf(input[key]);
    if (value === undefined || key === '') continue;
    (out ??= {})[text(key, maxKeyChars)] = value;
    count++;
  }
  return out;
}

/** Attributes, props or tags: at most 50 keys, keys and values cut to the server's limits. */
export function attributes(input: Record<string, unknown> | undefined): Attributes | undefined {
  return boundedMap(input, Limits.maxAttributes, Limits.maxAttributeKeyChars, attributeValue);
}

function userPropertyValue(raw: unknown): string | number | boolean | undefined {
  if (raw === undefined || raw === null || typeof raw === 'function' || typeof raw === 'symbol') return undefined;
  return typeof raw === 'boolean' || (typeof raw === 'number' && Number.isFinite(raw)) ? raw : anyText(raw, Limits.maxUserPropertyValueChars);
}

/** `$set` / `$set_once`: at most 50 keys of at most 50 characters, values of at most 200. */
export function userProperties(input: Record<string, unknown> | undefined): UserProperties | undefined {
  return boundedMap(input, Limits.maxUserPropertyKeys, Limits.maxUserPropertyKeyChars, userPropertyValue);
}

/** A client fingerprint: 1 to 10 non-empty parts of at most 200 characters. */
export function fingerprint(parts: readonly unknown[] | undefined): string[] | undefined {
  if (!Array.isArray(parts)) return undefined;
  const out = parts
    .slice(0, Limits.maxFingerprintParts)
    .map((p) => anyText(p, Limits.maxFingerprintPartChars))
    .filter((p) => p !== '');
  return out.length > 0 ? out : undefined;
}

/** UTF-8 bytes of a string, without encoding it. */
export function utf8Length(s: string): number {
  let bytes = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (isHighSurrogate(c) && i + 1 < s.length) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}
