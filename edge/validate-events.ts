import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { IngestLimits, canonicalLevel, type EventContext, type LogEvent } from '@strix/contracts';
import { findMalformedText } from '@strix/http';
import { itemSchemas } from './item-schemas.ts';

export interface EventError {
  index: number;
  message: string;
}

export interface ValidatedBatch {
  accepted: LogEvent[];
  /** Where each accepted event was in the request, for errors found after validation. */
  indexes: number[];
  errors: EventError[];
}

/** Which list of the body the items came from: error messages name it (`events[3].name`). */
export type BatchField = 'events' | 'points';

function describeIssue(field: BatchField, index: number, issue: z.core.$ZodIssue): string {
  const path = issue.path.length ? `.${issue.path.map(String).join('.')}` : '';
  // A bad record key is reported as "Invalid key in record"; what is wrong with it is inside.
  const message = issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue.message;
  return `${field}[${index}]${path}: ${message}`;
}

function parseTimestamp(raw: string | number | undefined, receivedAt: number): number {
  if (raw === undefined) return receivedAt;
  return typeof raw === 'number' ? raw : Date.parse(raw);
}

/** Properties are stored as text, like attributes. */
function asText(properties: Record<string, string | number | boolean> | undefined): Record<string, string> | undefined {
  if (properties === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(properties)) out[key] = String(value);
  return out;
}

type Context = z.infer<typeof EventContext>;

/** Item fields that stay at the edge: the log form carries `event_id`, `ts` and `user_set*` instead. */
const contextOnlyFields = ['timestamp', 'client_event_id', '$set', '$set_once'];

/**
 * A validated item in its log form: its fields but `dropped`, then its kind's
 * log fields. Built as a new object rather than by deleting from zod's output:
 * a delete turns an object into a slow dictionary, which cost more here and in
 * every later stage that reads the event than the copy does.
 */
function toLogEvent<T extends Context>(item: T, dropped: ReadonlySet<string>, ts: number, fields: Partial<LogEvent>): LogEvent {
  const event: Record<string, unknown> = {};
  for (const key of Object.keys(item)) if (!dropped.has(key)) event[key] = item[key as keyof T];
  Object.assign(event, fields);
  event.event_id = item.client_event_id ?? randomUUID();
  event.ts = ts;
  const userSet = asText(item.$set);
  if (userSet) event.user_set = userSet;
  const userSetOnce = asText(item.$set_once);
  if (userSetOnce) event.user_set_once = userSetOnce;
  return event as LogEvent;
}

/** The oldest timestamp an item may carry, and how an older one is refused. */
export interface PastLimit {
  oldestMs: number;
  /** Ends the message "events[3].timestamp: …". */
  refusal: string;
}

/** Live traffic: at most 30 days old (older data is imported, see routes/import.ts). */
const livePast = (receivedAt: number): PastLimit => ({
  oldestMs: receivedAt - IngestLimits.maxPastAgeMs,
  refusal: 'more than 30 days in the past',
});

/** One kind of item (a log event, a product event, a metric point): its checks and its log form. */
export interface ItemKind {
  /** The item in its log form, or why it is refused, naming the field (`events[3].name: is required`). */
  validate(field: BatchField, index: number, raw: unknown, receivedAt: number, past: PastLimit): LogEvent | string;
}

/**
 * An item kind from its schema, its own log fields and the fields of its own
 * that its log form does not carry (`inputOnly`). The item is checked on
 * its own (one bad item never fails the batch), text that is not well-formed
 * Unicode is refused (well-formed-text.ts), its time must fall in the accepted
 * window, and it gets a stable id: the client's, or one minted here so a
 * redelivered log record keeps the same id.
 */
function itemKind<S extends z.ZodType<Context>>(
  schema: S,
  fieldsOf: (item: z.infer<S>) => Partial<LogEvent>,
  inputOnly: readonly (keyof z.infer<S> & string)[] = [],
): ItemKind {
  const dropped = new Set<string>([...contextOnlyFields, ...inputOnly]);
  return {
    validate(field, index, raw, receivedAt, past) {
      const parsed = schema.safeParse(raw);
      if (!parsed.success) {
        const first = parsed.error.issues[0];
        return first ? describeIssue(field, index, first) : `${field}[${index}]: invalid`;
      }
      const item = parsed.data;
      const malformed = findMalformedText(item, `${field}[${index}]`);
      if (malformed) return malformed;
      if ((item.$set || item.$set_once) && !item.user_id?.trim()) {
        return `${field}[${index}].${item.$set ? '$set' : '$set_once'}: user properties need a user_id`;
      }
      const ts = parseTimestamp(item.timestamp, receivedAt);
      if (ts > receivedAt + IngestLimits.maxFutureSkewMs) return `${field}[${index}].timestamp: more than 5 minutes in the future`;
      if (ts < past.oldestMs) return `${field}[${index}].timestamp: ${past.refusal}`;
      return toLogEvent(item, dropped, ts, fieldsOf(item));
    },
  };
}

/** Adds an item's outcome to its batch: the event at its index, or the refusal. */
export function addOutcome(batch: ValidatedBatch, index: number, result: LogEvent | string): void {
  if (typeof result === 'string') {
    batch.errors.push({ index, message: result });
    return;
  }
  batch.accepted.push(result);
  batch.indexes.push(index);
}

/** Each item of a live batch on its own, against the live time window. */
function validateEach(field: BatchField, items: readonly unknown[], receivedAt: number, kind: ItemKind): ValidatedBatch {
  const batch: ValidatedBatch = { accepted: [], indexes: [], errors: [] };
  const past = livePast(receivedAt);
  for (let index = 0; index < items.length; index++) addOutcome(batch, index, kind.validate(field, index, items[index], receivedAt, past));
  return batch;
}

/** The item kinds of the batch endpoints, by the name their log form carries (`log` has none). */
export const itemKinds = {
  /** `POST /v1/ingest`: log events, errors among them. */
  log: itemKind(itemSchemas.log, (event) => ({
    level: canonicalLevel(event.level) ?? 'info',
  })),
  /** `POST /v1/track:batch`: product events; the name is also the message. */
  track: itemKind(
    itemSchemas.track,
    ({ name, props, path }) => ({
      kind: 'track',
      level: 'info',
      message: name,
      ...(props && { attributes: props }),
      ...(path !== undefined && { screen_name: path }),
    }),
    ['props', 'path'],
  ),
  /** `POST /v1/metrics:batch`: numeric points and operation phases. */
  metric: itemKind(
    itemSchemas.metric,
    ({ name, phase, value, unit, tracking_id, duration_ms, error, tags, trace_id, span_id }) => ({
      kind: 'metric',
      level: 'info',
      message: error ?? `${name} ${phase}`,
      ...(tags && { attributes: tags }),
      metric: {
        phase,
        ...(tracking_id !== undefined && { tracking_id }),
        ...(value !== undefined && { value }),
        ...(unit !== undefined && { unit }),
        ...(duration_ms !== undefined && { duration_ms }),
        ...(trace_id !== undefined && { trace_id }),
        ...(span_id !== undefined && { span_id }),
      },
    }),
    ['phase', 'value', 'unit', 'tracking_id', 'duration_ms', 'error', 'tags', 'trace_id', 'span_id'],
  ),
} as const satisfies Record<NonNullable<LogEvent['kind']>, ItemKind>;

/** `POST /v1/ingest`: log events, errors among them. */
export function validateEvents(events: readonly unknown[], receivedAt: number): ValidatedBatch {
  return validateEach('events', events, receivedAt, itemKinds.log);
}

/** `POST /v1/track:batch`: product events. */
export function validateTrack(events: readonly unknown[], receivedAt: number): ValidatedBatch {
  return validateEach('events', events, receivedAt, itemKinds.track);
}

/** `POST /v1/metrics:batch`: numeric points and operation phases. */
export function validateMetrics(points: readonly unknown[], receivedAt: number): ValidatedBatch {
  return validateEach('points', points, receivedAt, itemKinds.metric);
}
