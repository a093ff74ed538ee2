import { canonicalLevel, IngestLimits, type Level, type LogEvent } from '@strix/contracts';
import { ok, type EventStep } from './step.ts';

/**
 * A `LogEvent` after `normalizeEvent`: the level is canonical and attribute values are
 * strings (the warehouse stores them as Map(String, String)). It is still a `LogEvent`,
 * so later steps can take either.
 */
export type NormalizedEvent = Omit<LogEvent, 'level' | 'attributes'> & {
  level: Level;
  attributes?: Record<string, string>;
};

/** Every optional free-text field of `LogEvent` (`kind` is a closed set); the record below must name each one. */
type OptionalTextField = {
  [K in keyof LogEvent]-?: undefined extends LogEvent[K]
    ? NonNullable<LogEvent[K]> extends string
      ? K
      : never
    : never;
}[Exclude<keyof LogEvent, 'kind'>];

// A Record rather than a list so that a new optional text field in the contract fails
// to compile here until someone decides how it is normalized.
const optionalTextFields: Record<OptionalTextField, true> = {
  session_id: true,
  user_id: true,
  name: true,
  source_module: true,
  screen_name: true,
  environment: true,
  os_version: true,
  app_version: true,
  build_number: true,
  device_model: true,
  locale: true,
  country: true,
};

const textFieldNames = Object.keys(optionalTextFields) as OptionalTextField[];

// The other fields `normalizeEvent` copies one by one: a new field in the contract fails to
// compile here until it is copied there too.
const copiedFields: Record<Exclude<keyof LogEvent, OptionalTextField | 'attributes' | 'experiments'>, true> = {
  event_id: true,
  ts: true,
  is_dev: true,
  level: true,
  message: true,
  fingerprint: true,
  exception: true,
  kind: true,
  metric: true,
  user_set: true,
  user_set_once: true,
};
void copiedFields;

/** SDKs and people spell the same environment many ways; dashboards filter on one. */
const environmentAliases: Record<string, string> = {
  prod: 'production',
  production: 'production',
  live: 'production',
  dev: 'development',
  development: 'development',
  local: 'development',
  stage: 'staging',
  staging: 'staging',
  test: 'test',
  testing: 'test',
};

export function canonicalEnvironment(raw: string): string {
  const lower = raw.trim().toLowerCase();
  return environmentAliases[lower] ?? lower;
}

/** The message must stay non-empty, so one that is only whitespace is kept as sent. */
function trimMessage(value: string): string {
  const trimmed = value.trim();
  return trimmed === '' ? value : trimmed;
}

/** The first line of the message, as the analytics name of an event sent without one. */
export function defaultName(message: string): string | undefined {
  const firstLine = (message.split(/\r\n|\r|\n/, 1)[0] ?? '').trim();
  if (firstLine === '') return undefined;
  let name = firstLine.slice(0, IngestLimits.maxNameChars);
  // Cutting between the two halves of a surrogate pair would leave invalid UTF-16.
  const last = name.charCodeAt(name.length - 1);
  if (name.length < firstLine.length && last >= 0xd800 && last <= 0xdbff) name = name.slice(0, -1);
  return name;
}

/** Nulls mean "absent"; numbers and booleans become the text the warehouse stores. */
function normalizeAttributes(attributes: LogEvent['attributes']): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const [rawKey, value] of Object.entries(attributes ?? {})) {
    const key = rawKey.trim();
    if (key === '' || value === null) continue;
    out[key] = typeof value === 'string' ? value.trim() : String(value);
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Property keys are trimmed like attribute keys; values are kept as sent (a `$set` of '' is a value). */
function normalizeUserProperties(properties: Record<string, string> | undefined): Record<string, string> | undefined {
  if (properties === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const [rawKey, value] of Object.entries(properties)) {
    const key = rawKey.trim();
    if (key !== '') out[key] = value;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** An experiment without a variant says nothing, so empty keys and values are dropped. */
function normalizeExperiments(experiments: LogEvent['experiments']): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const [rawKey, rawValue] of Object.entries(experiments ?? {})) {
    const key = rawKey.trim();
    const value = rawValue.trim();
    if (key !== '' && value !== '') out[key] = value;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * Puts a validated event into the one shape every later step and the warehouse expect.
 * Pure: the input is not modified. The input already passed the `LogEvent` schema, so
 * the level is known to be valid.
 */
export function normalizeEvent(event: LogEvent): NormalizedEvent {
  const message = trimMessage(event.message);
  // Built field by field rather than spread-then-delete: `delete` turns the object into
  // a slow dictionary, and every later step (row building, JSON) reads it per event.
  const out: NormalizedEvent = {
    // event_id is left exactly as sent: it is the dedupe identity, keyed before this step
    // and compared with the ids already stored, so trimming it would let a replay through.
    event_id: event.event_id,
    ts: event.ts,
    is_dev: event.is_dev,
    // The schema guarantees a known level; 'info' mirrors its default should that change.
    level: canonicalLevel(event.level) ?? 'info',
    message,
  };

  for (const field of textFieldNames) {
    const value = event[field]?.trim();
    if (value) out[field] = value;
  }
  if (out.environment !== undefined) out.environment = canonicalEnvironment(out.environment);
  if (out.name === undefined) {
    const name = defaultName(message);
    if (name !== undefined) out.name = name;
  }

  // Copied as validated: grouping normalizes what it reads itself, and the warehouse keeps the frames as received.
  if (event.fingerprint !== undefined) out.fingerprint = event.fingerprint;
  if (event.exception !== undefined) out.exception = event.exception;
  if (event.kind !== undefined) out.kind = event.kind;
  if (event.metric !== undefined) out.metric = event.metric;
  const userSet = normalizeUserProperties(event.user_set);
  if (userSet) out.user_set = userSet;
  const userSetOnce = normalizeUserProperties(event.user_set_once);
  if (userSetOnce) out.user_set_once = userSetOnce;

  const normalizedAttributes = normalizeAttributes(event.attributes);
  if (normalizedAttributes) out.attributes = normalizedAttributes;
  const normalizedExperiments = normalizeExperiments(event.experiments);
  if (normalizedExperiments) out.experiments = normalizedExperiments;
  return out;
}

export function createNormalizeStep(): EventStep<LogEvent, NormalizedEvent> {
  return (event) => ok(normalizeEvent(event));
}
