import type { FastifyInstance } from 'fastify';
import { IngestLimits } from '@strix/contracts';
import { ApiError, type Principal } from '@strix/http';
import { appendBatch } from '../routes/batches.ts';
import { validateEvents } from '../validate-events.ts';
import { isKeptEventType, parseSentryEvent } from './sentry-event.ts';
import { describeRefusal, toStrixEvent, type MappedEvent, type MappingContext } from './to-strix-event.ts';

/** One Sentry event as received: its JSON, where it was in the request (`envelope item 2`, or '' for a store body), and its envelope's context. */
export interface ReceivedEvent {
  raw: unknown;
  where: string;
  context: MappingContext;
}

/** A client clock this far ahead of Strix's (beyond network delay) is corrected rather than its events refused as from the future. */
const clockDriftToleranceMs = 60_000;

/**
 * How far ahead of Strix's clock the client's runs, from the envelope's `sent_at`; 0 when it
 * does not run ahead. Only a clock ahead is corrected: an envelope sent late (kept offline,
 * retried) carries an old `sent_at` without the client's clock being wrong.
 */
export function clockAheadMs(sentAt: unknown, receivedAt: number): number {
  const sent = typeof sentAt === 'string' ? Date.parse(sentAt) : Number.NaN;
  return Number.isFinite(sent) && sent - receivedAt > clockDriftToleranceMs ? sent - receivedAt : 0;
}

const refusal = (where: string, message: string) => new ApiError('bad_request', where ? `${where}: ${message}` : message);

/**
 * Sentry's errors and messages as Strix events: each is read, mapped, validated as
 * `POST /v1/ingest` validates its events, and appended in one append, acknowledged once
 * durable. Other event types (transactions, feedback) are dropped. A refusal is a 400 naming
 * the Sentry field; an SDK sends one event per request, so it is all or nothing.
 * Resolves to the stored events' ids (Sentry's `event_id`, or one minted here).
 */
export async function ingestSentryEvents(app: FastifyInstance, principal: Principal, received: readonly ReceivedEvent[], receivedAt: number): Promise<string[]> {
  const mapped: MappedEvent[] = [];
  const wheres: string[] = [];
  for (const { raw, where, context } of received) {
    const event = parseSentryEvent(raw);
    if (typeof event === 'string') throw refusal(where, event);
    if (!isKeptEventType(event.type)) continue;
    mapped.push(toStrixEvent(event, context));
    wheres.push(where);
  }
  if (mapped.length === 0) return [];
  if (mapped.length > IngestLimits.maxEventsPerBatch) {
    throw new ApiError('bad_request', `envelope: ${mapped.length} events; at most ${IngestLimits.maxEventsPerBatch} per request`);
  }
  const batch = validateEvents(
    mapped.map((m) => m.event),
    receivedAt,
  );
  const refuseFirst = (errors: readonly { index: number; message: string }[]) => {
    const first = errors[0];
    const origins = first && mapped[first.index]?.origins;
    if (first && origins) throw refusal(wheres[first.index] ?? '', describeRefusal(first.message, origins));
  };
  refuseFirst(batch.errors);
  const { errors } = await appendBatch(app, principal, batch, 'events', receivedAt);
  refuseFirst(errors);
  return batch.accepted.map((event) => event.event_id);
}
