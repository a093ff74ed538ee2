import { z } from 'zod';

/**
 * The parts of a Sentry event Strix reads, as Sentry SDKs send them (the `event` item of an
 * envelope, or the body of the store endpoint). Unknown fields are ignored. What decides an
 * error's identity and time is checked strictly, so a wrong type is a 400 naming the Sentry
 * field; what only decorates an event (contexts, breadcrumbs, user details, extra, sdk) falls
 * back to nothing when malformed (`.catch`), so an odd SDK never loses an error over it.
 */

/** SDKs send `null` for unset fields as often as they leave them out. */
const maybe = <T extends z.ZodType>(schema: T) => schema.nullish();
const decoration = <T extends z.ZodType>(schema: T) => schema.nullish().catch(undefined);

/** A value Sentry stores as text (a tag, a user id): numbers and booleans are spelled out. */
const textLike = z.union([z.string(), z.number(), z.boolean()]);

export const SentryFrame = z.looseObject({
  function: maybe(z.string()),
  module: maybe(z.string()),
  filename: maybe(z.string()),
  abs_path: maybe(z.string()),
  // Display-only in Strix: a malformed line or column is dropped, never a reason to refuse.
  lineno: decoration(z.number()),
  colno: decoration(z.number()),
  in_app: maybe(z.boolean()),
});
export type SentryFrame = z.infer<typeof SentryFrame>;

const Stacktrace = z.looseObject({ frames: maybe(z.array(SentryFrame)) });

export const SentryException = z.looseObject({
  type: maybe(z.string()),
  value: maybe(z.string()),
  module: maybe(z.string()),
  stacktrace: maybe(Stacktrace),
  mechanism: decoration(z.looseObject({ type: maybe(z.string()), handled: maybe(z.boolean()), synthetic: maybe(z.boolean()) })),
});
export type SentryException = z.infer<typeof SentryException>;

/** `message` and `logentry`: a string, or `{formatted, message, params}`. */
const LogEntry = z.looseObject({ formatted: maybe(z.string()), message: maybe(z.string()) });

export const SentryBreadcrumb = z.looseObject({
  timestamp: maybe(z.union([z.number(), z.string()])),
  type: maybe(z.string()),
  category: maybe(z.string()),
  level: maybe(z.string()),
  message: maybe(z.string()),
  data: maybe(z.record(z.string(), z.unknown())),
});
export type SentryBreadcrumb = z.infer<typeof SentryBreadcrumb>;

const record = z.record(z.string(), z.unknown());

export const SentryEvent = z.looseObject({
  event_id: maybe(z.string()),
  /** Absent or `error` / `default` for errors and messages; `transaction`, `feedback`… are not kept. */
  type: maybe(z.string()),
  timestamp: maybe(z.union([z.number(), z.string()])),
  level: maybe(z.string()),
  logger: decoration(z.string()),
  platform: decoration(z.string()),
  transaction: decoration(z.string()),
  server_name: decoration(z.string()),
  release: maybe(z.string()),
  dist: maybe(z.string()),
  environment: maybe(z.string()),
  message: maybe(z.union([z.string(), LogEntry])),
  logentry: maybe(LogEntry),
  /** `{values: [...]}`, or the bare list older SDKs sent; causes first, the error raised last. */
  exception: z.preprocess((v) => (Array.isArray(v) ? { values: v } : v), maybe(z.looseObject({ values: maybe(z.array(SentryException)) }))),
  /** A stack without an exception (older SDKs' attached stack of a message). */
  stacktrace: maybe(Stacktrace),
  fingerprint: maybe(z.array(textLike)),
  user: maybe(z.looseObject({ id: maybe(textLike) })),
  /** An object, or the `[key, value]` pairs of the store protocol. */
  tags: decoration(z.union([record, z.array(z.tuple([z.string(), z.unknown()]))])),
  contexts: decoration(record),
  breadcrumbs: decoration(z.union([z.array(SentryBreadcrumb), z.looseObject({ values: z.array(SentryBreadcrumb) })])),
  extra: decoration(record),
  request: decoration(z.looseObject({ url: maybe(z.string()), method: maybe(z.string()) })),
  sdk: decoration(z.looseObject({ name: maybe(z.string()), version: maybe(z.string()) })),
});
export type SentryEvent = z.infer<typeof SentryEvent>;

/** Event types that are errors or messages: the ones Strix keeps. */
const keptEventTypes = new Set(['error', 'default']);

/** Whether a Sentry event is an error or a message (kept), not a transaction, feedback or report (dropped). */
export const isKeptEventType = (type: string | null | undefined): boolean => type == null || keptEventTypes.has(type);

/** `exception.values[1].stacktrace.frames[3].lineno`: a zod path as Sentry's documentation spells fields. */
export function sentryPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, part) => (typeof part === 'number' ? `${out}[${part}]` : out ? `${out}.${String(part)}` : String(part)), '');
}

/** A parsed Sentry event, or why it cannot be read, naming the field: `release: Invalid input: expected string, received number`. */
export function parseSentryEvent(raw: unknown): SentryEvent | string {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return 'event: must be a JSON object (a Sentry event)';
  const parsed = SentryEvent.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  return `${issue?.path.length ? sentryPath(issue.path) : 'event'}: ${issue?.message ?? 'invalid'}`;
}
