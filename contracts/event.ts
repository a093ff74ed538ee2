import { z } from 'zod';
import { IngestLimits as L } from './limits.ts';

export const Levels = ['debug', 'info', 'warn', 'error'] as const;
export type Level = (typeof Levels)[number];

/** Level spellings SDKs send, mapped to the four canonical levels. */
const levelAliases: Record<string, Level> = {
  debug: 'debug', trace: 'debug', verbose: 'debug',
  info: 'info', notice: 'info', log: 'info',
  warn: 'warn', warning: 'warn',
  error: 'error', err: 'error', fatal: 'error', critical: 'error',
};

export function canonicalLevel(raw: string): Level | undefined {
  const key = raw.trim().toLowerCase();
  // Own keys only: `constructor` or `__proto__` would find Object's and reach the warehouse as a level (found by the fuzz suite).
  return Object.hasOwn(levelAliases, key) ? levelAliases[key] : undefined;
}

const text = (max: number) => z.string().max(max, { message: `must be at most ${max} characters` });
/** A text field that must be present and not empty, with one message for both. */
const requiredText = (max: number) =>
  z.string({ message: 'is required' }).min(1, { message: 'is required' }).max(max, { message: `must be at most ${max} characters` });

const attributeValue = z.union([
  text(L.maxAttributeValueChars),
  z.number().finite(),
  z.boolean(),
  z.null(),
]);

const nonNegativeInt = z
  .number()
  .int({ message: 'must be a non-negative integer' })
  .min(0, { message: 'must be a non-negative integer' });

/**
 * One stack frame, in Sentry's shape so SDK output maps over unchanged. Line and
 * column are kept for display only: grouping ignores them (see grouping/stack-frames.ts).
 */
export const StackFrame = z.object({
  function: text(L.maxFrameFieldChars).optional(),
  module: text(L.maxFrameFieldChars).optional(),
  filename: text(L.maxFrameFieldChars).optional(),
  abs_path: text(L.maxFrameFieldChars).optional(),
  lineno: nonNegativeInt.optional(),
  colno: nonNegativeInt.optional(),
  /** Absent means "decide by the path": the processors tell library and runtime frames apart. */
  in_app: z.boolean().optional(),
});
export type StackFrame = z.infer<typeof StackFrame>;

/** The error an event reports. Frames are ordered as Sentry orders them: oldest call first, innermost last. */
export const EventException = z.object({
  type: text(L.maxExceptionTypeChars).optional(),
  value: text(L.maxMessageChars).optional(),
  stacktrace: z
    .object({
      frames: z
        .array(StackFrame, { message: 'must be a list of frames' })
        .max(L.maxStackFrames, { message: `must contain at most ${L.maxStackFrames} frames` }),
    })
    .optional(),
});
export type EventException = z.infer<typeof EventException>;

/**
 * A client-chosen grouping key replacing the default one (Sentry's `fingerprint`);
 * the entry "{{ default }}" stands for the default grouping's own components.
 */
const fingerprint = z
  .array(text(L.maxFingerprintPartChars).min(1, { message: 'must not be empty' }))
  .min(1, { message: 'must contain at least one entry' })
  .max(L.maxFingerprintParts, { message: `must contain at most ${L.maxFingerprintParts} entries` });

/** User properties an event sets: at most 50 keys of at most 50 characters, values of at most 200. */
const userProperties = z
  .record(
    text(L.maxUserPropertyKeyChars).min(1, { message: 'keys must not be empty' }),
    z.union([text(L.maxUserPropertyValueChars), z.number().finite(), z.boolean()], {
      message: 'values must be strings, numbers or booleans',
    }),
  )
  .refine((p) => Object.keys(p).length <= L.maxUserPropertyKeys, {
    message: `must have at most ${L.maxUserPropertyKeys} keys`,
  });

/**
 * Who, where and on what an event happened: the fields every signal shares,
 * whether it arrives at `/v1/ingest`, `/v1/track:batch` or `/v1/metrics:batch`.
 */
export const EventContext = z.object({
  client_event_id: text(L.maxIdChars).min(1).optional(),
  session_id: text(L.maxIdChars).optional(),
  user_id: text(L.maxIdChars).optional(),
  screen_name: text(L.maxShortFieldChars).optional(),
  experiments: z.record(text(L.maxAttributeKeyChars), text(L.maxShortFieldChars)).optional(),
  environment: text(L.maxShortFieldChars).optional(),
  os_version: text(L.maxShortFieldChars).optional(),
  app_version: text(L.maxShortFieldChars).optional(),
  build_number: text(L.maxShortFieldChars).optional(),
  device_model: text(L.maxShortFieldChars).optional(),
  locale: text(L.maxShortFieldChars).optional(),
  country: text(L.maxShortFieldChars).optional(),
  is_dev: z.boolean().default(false),
  /** User properties: `$set` overwrites, `$set_once` keeps the first value. */
  $set: userProperties.optional(),
  $set_once: userProperties.optional(),
  timestamp: z.union([z.iso.datetime({ offset: true }), z.number().int().nonnegative()]).optional(),
});

const attributes = z
  .record(text(L.maxAttributeKeyChars), attributeValue)
  .refine((a) => Object.keys(a).length <= L.maxAttributes, {
    message: `must have at most ${L.maxAttributes} keys`,
  });

/**
 * One event as a client sends it: the Strix event model plus an optional
 * analytics `name`. Unknown fields are ignored so newer SDKs keep working.
 */
export const IncomingEvent = EventContext.extend({
  level: z
    .string()
    .refine((v) => canonicalLevel(v) !== undefined, { message: 'must be one of debug, info, warn, error' })
    .default('info'),
  message: requiredText(L.maxMessageChars),
  name: text(L.maxNameChars).min(1).optional(),
  source_module: text(L.maxShortFieldChars).optional(),
  attributes: attributes.optional(),
  fingerprint: fingerprint.optional(),
  exception: EventException.optional(),
});
export type IncomingEvent = z.infer<typeof IncomingEvent>;

/**
 * One product event for `POST /v1/track:batch`: a name and its properties. A
 * `$pageview` carries the page in `path` (or `props.$pathname`,
 * `props.$current_url`); the edge normalizes it to a section (ingest/pageviews.ts).
 */
export const TrackEvent = EventContext.extend({
  name: requiredText(L.maxNameChars),
  props: attributes.optional(),
  path: text(L.maxPathChars).optional(),
});
export type TrackEvent = z.infer<typeof TrackEvent>;

export const MetricPhases = ['record', 'start', 'complete', 'fail', 'cancel'] as const;

/**
 * One numeric point for `POST /v1/metrics:batch`: a single-shot `record` of a
 * value, or one phase of an operation whose phases share a `tracking_id`. An
 * end without `duration_ms` gets its start's distance, computed by the processors.
 */
export const MetricPoint = EventContext.extend({
  name: requiredText(L.maxNameChars),
  phase: z.enum(MetricPhases, { message: `must be one of ${MetricPhases.join(', ')}` }).default('record'),
  value: z.number().finite().optional(),
  unit: text(L.maxShortFieldChars).optional(),
  tracking_id: text(L.maxIdChars).min(1, { message: 'must not be empty' }).optional(),
  duration_ms: z.number().finite().min(0, { message: 'must not be negative' }).optional(),
  /** Why a `fail` failed. */
  error: text(L.maxMessageChars).optional(),
  tags: attributes.optional(),
  trace_id: text(L.maxIdChars).optional(),
  span_id: text(L.maxIdChars).optional(),
})
  .refine((p) => p.phase !== 'record' || p.value !== undefined, { message: 'is required for a record', path: ['value'] })
  .refine((p) => p.phase === 'record' || p.tracking_id !== undefined, {
    message: 'is required for start, complete, fail and cancel',
    path: ['tracking_id'],
  });
export type MetricPoint = z.infer<typeof MetricPoint>;

/** The HTTP body of a batch endpoint: `{ <field>: [...] }`, each item validated on its own. */
export function batchBody<F extends 'events' | 'points'>(field: F) {
  const items = z
    .array(z.unknown(), { message: `must be a list of ${field}` })
    .min(1, { message: `must contain at least one ${field === 'events' ? 'event' : 'point'}` })
    .max(L.maxEventsPerBatch, { message: `must contain at most ${L.maxEventsPerBatch} ${field}` });
  return z.object({ [field]: items } as Record<F, typeof items>);
}

/** The HTTP body of `POST /v1/ingest`; each event is validated on its own. */
export const IngestBody = batchBody('events');

/**
 * An accepted event as it travels through the log: validated, with a stable
 * `event_id` (the client's id, or one minted at the edge) and an epoch-ms `ts`.
 */
export const LogEvent = IncomingEvent.omit({ timestamp: true, client_event_id: true, $set: true, $set_once: true }).extend({
  event_id: z.string().min(1),
  ts: z.number().int(),
  /** Which endpoint accepted it; absent in records written before analytics, meaning `log`. */
  kind: z.enum(['log', 'track', 'metric']).optional(),
  /** Present on metric points only. */
  metric: z
    .object({
      phase: z.enum(['record', 'start', 'complete', 'fail', 'cancel']),
      tracking_id: z.string().optional(),
      value: z.number().optional(),
      unit: z.string().optional(),
      duration_ms: z.number().optional(),
      trace_id: z.string().optional(),
      span_id: z.string().optional(),
    })
    .optional(),
  /** `$set` and `$set_once` with every value as a string (how they are stored). */
  user_set: z.record(z.string(), z.string()).optional(),
  user_set_once: z.record(z.string(), z.string()).optional(),
});
export type LogEvent = z.infer<typeof LogEvent>;

/** One log record: the accepted events of one ingest request. */
export const EventBatchRecord = z.object({
  v: z.literal(1),
  project_id: z.string().min(1),
  app_id: z.string().min(1),
  retention_days: z.number().int().positive(),
  received_at: z.number().int(),
  events: z.array(LogEvent).min(1),
});
export type EventBatchRecord = z.infer<typeof EventBatchRecord>;
