import { IngestLimits } from '@strix/contracts';
import { addOutcome, itemKinds, type EventError, type PastLimit, type ValidatedBatch } from '../validate-events.ts';
import { mapPostHogEvent } from './map-event.ts';

/** A capture request's events, validated: the Strix batch to append, and how many were dropped on purpose. */
export interface ValidatedCapture {
  batch: ValidatedBatch;
  /** Events Strix does not keep (`droppedEvents`): acknowledged, not stored. */
  dropped: number;
}

/**
 * Maps each event (map-event.ts) and validates it as `/v1/track:batch` or, for an `$exception`,
 * `/v1/ingest` validates theirs: the same checks, limits and time window, one event at a time.
 * A refused event never fails the others.
 */
export function validateCapture(events: readonly unknown[], receivedAt: number, sentAt: number | undefined): ValidatedCapture {
  const batch: ValidatedBatch = { accepted: [], indexes: [], errors: [] };
  const past: PastLimit = { oldestMs: receivedAt - IngestLimits.maxPastAgeMs, refusal: 'more than 30 days in the past' };
  let dropped = 0;
  for (const [index, raw] of events.entries()) {
    const mapped = mapPostHogEvent(raw, index, receivedAt, sentAt);
    if ('refusal' in mapped) addOutcome(batch, index, mapped.refusal);
    else if (mapped.kind === 'dropped') dropped++;
    else addOutcome(batch, index, itemKinds[mapped.kind].validate('events', index, mapped.item, receivedAt, past));
  }
  return { batch, dropped };
}

/** Strix's field names as the PostHog event names them, for refusals a PostHog user can act on. */
const postHogFields: Record<string, string> = {
  name: 'event',
  props: 'properties',
  attributes: 'properties',
  user_id: 'distinct_id',
  client_event_id: 'uuid',
  session_id: 'properties.$session_id',
  path: 'properties.$pathname',
  app_version: 'properties.$app_version',
  build_number: 'properties.$app_build',
  os_version: 'properties.$os_version',
  device_model: 'properties.$device_model',
  locale: 'properties.$locale',
  message: 'properties.$exception_list[0].value',
  exception: 'properties.$exception_list[0]',
  fingerprint: 'properties.$exception_fingerprint',
};

/** `events[3].props.plan: …` → `batch[3].properties.plan: …`. */
export function inPostHogTerms(error: EventError): EventError {
  const message = error.message.replace(/^events\[(\d+)\](?:\.([\w$]+))?/, (_, index: string, field: string | undefined) => {
    const named = field === undefined ? '' : `.${Object.hasOwn(postHogFields, field) ? postHogFields[field] : field}`;
    return `batch[${index}]${named}`;
  });
  return { index: error.index, message };
}
