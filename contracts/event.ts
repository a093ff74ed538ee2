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
  return levelAliases[raw.trim().toLowerCase()];
}

const text = (max: number) => z.string().max(max, { message: `must be at most ${max} characters` });

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
 * column are kept for display only: grouping ignores them (see processors/steps/stack-frames.ts).
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

/**
 * One event as a client sends it: the Owlmetry event model plus an optional
 * analytics `name`. Unknown fields are ignored so newer SDKs keep working.
 */
export const IncomingEvent = z.object({
  client_event_id: text(L.maxIdChars).min(1).optional(),
  session_id: text(L.maxIdChars).optional(),
  user_id: text(L.maxIdChars).optional(),
  level: z
    .string()
    .refine((v) => canonicalLevel(v) !== undefined, { message: 'must be one of debug, info, warn, error' })
    .default('info'),
  message: text(L.maxMessageChars).min(1, { message: 'is required' }),
  name: text(L.maxNameChars).min(1).optional(),
  source_module: text(L.maxShortFieldChars).optional(),
  screen_name: text(L.maxShortFieldChars).optional(),
  attributes: z
    .record(text(L.maxAttributeKeyChars), attributeValue)
    .refine((a) => Object.keys(a).length <= L.maxAttributes, {
      message: `must have at most ${L.maxAttributes} keys`,
    })
    .optional(),
  experiments: z.record(text(L.maxAttributeKeyChars), text(L.maxShortFieldChars)).optional(),
  environment: text(L.maxShortFieldChars).optional(),
  os_version: text(L.maxShortFieldChars).optional(),
  app_version: text(L.maxShortFieldChars).optional(),
  build_number: text(L.maxShortFieldChars).optional(),
  device_model: text(L.maxShortFieldChars).optional(),
  locale: text(L.maxShortFieldChars).optional(),
  country: text(L.maxShortFieldChars).optional(),
  is_dev: z.boolean().default(false),
  fingerprint: fingerprint.optional(),
  exception: EventException.optional(),
  timestamp: z.union([z.iso.datetime({ offset: true }), z.number().int().nonnegative()]).optional(),
});
export type IncomingEvent = z.infer<typeof IncomingEvent>;

/** The HTTP body of `POST /v1/ingest`; each event is validated on its own. */
export const IngestBody = z.object({
  events: z
    .array(z.unknown())
    .min(1, { message: 'must contain at least one event' })
    .max(L.maxEventsPerBatch, { message: `must contain at most ${L.maxEventsPerBatch} events` }),
});

/**
 * An accepted event as it travels through the log: validated, with a stable
 * `event_id` (the client's id, or one minted at the edge) and an epoch-ms `ts`.
 */
export const LogEvent = IncomingEvent.omit({ timestamp: true, client_event_id: true }).extend({
  event_id: z.string().min(1),
  ts: z.number().int(),
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
