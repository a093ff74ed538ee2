import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { IncomingEvent, IngestLimits, canonicalLevel, type LogEvent } from '@strix/contracts';

export interface EventError {
  index: number;
  message: string;
}

export interface ValidatedBatch {
  accepted: LogEvent[];
  errors: EventError[];
}

function describeIssue(index: number, issue: z.core.$ZodIssue): string {
  const path = issue.path.length ? `.${issue.path.map(String).join('.')}` : '';
  return `events[${index}]${path}: ${issue.message}`;
}

function parseTimestamp(raw: string | number | undefined, receivedAt: number): number {
  if (raw === undefined) return receivedAt;
  return typeof raw === 'number' ? raw : Date.parse(raw);
}

/**
 * Validates each event on its own (one bad event never fails the batch), checks
 * its time against the accepted window, and gives it a stable id: the client's,
 * or one minted here so a redelivered log record keeps the same id.
 */
export function validateEvents(events: readonly unknown[], receivedAt: number): ValidatedBatch {
  const accepted: LogEvent[] = [];
  const errors: EventError[] = [];
  for (let index = 0; index < events.length; index++) {
    const parsed = IncomingEvent.safeParse(events[index]);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      errors.push({ index, message: first ? describeIssue(index, first) : `events[${index}]: invalid event` });
      continue;
    }
    const event = parsed.data;
    const ts = parseTimestamp(event.timestamp, receivedAt);
    if (ts > receivedAt + IngestLimits.maxFutureSkewMs) {
      errors.push({ index, message: `events[${index}].timestamp: more than 5 minutes in the future` });
      continue;
    }
    if (ts < receivedAt - IngestLimits.maxPastAgeMs) {
      errors.push({ index, message: `events[${index}].timestamp: more than 30 days in the past` });
      continue;
    }
    // zod's output is a fresh object holding only schema fields, so it is reused rather than
    // copied (a rest-spread per event showed in the ingest profile): the two input-only
    // fields go, the log-only ones come in.
    const id = event.client_event_id ?? randomUUID();
    const level = canonicalLevel(event.level) ?? 'info';
    delete event.timestamp;
    delete event.client_event_id;
    const logEvent: LogEvent = Object.assign(event, { level, event_id: id, ts });
    accepted.push(logEvent);
  }
  return { accepted, errors };
}
