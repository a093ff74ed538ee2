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
  events.forEach((raw, index) => {
    const parsed = IncomingEvent.safeParse(raw);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      errors.push({ index, message: first ? describeIssue(index, first) : `events[${index}]: invalid event` });
      return;
    }
    const { timestamp, client_event_id, level, ...event } = parsed.data;
    const ts = parseTimestamp(timestamp, receivedAt);
    if (ts > receivedAt + IngestLimits.maxFutureSkewMs) {
      errors.push({ index, message: `events[${index}].timestamp: more than 5 minutes in the future` });
      return;
    }
    if (ts < receivedAt - IngestLimits.maxPastAgeMs) {
      errors.push({ index, message: `events[${index}].timestamp: more than 30 days in the past` });
      return;
    }
    accepted.push({
      ...event,
      level: canonicalLevel(level) ?? 'info',
      event_id: client_event_id ?? randomUUID(),
      ts,
    });
  });
  return { accepted, errors };
}
