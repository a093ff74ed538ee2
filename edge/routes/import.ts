import { z } from 'zod';
import { IncomingEvent, IngestLimits, MetricPoint, TrackEvent, type Warehouse } from '@strix/contracts';
import { ApiError, ErrorBody, errorResponses, type Principal, type ZodRoutes } from '@strix/http';
import { storedEventIds } from '@strix/warehouse';
import { refuseForeignEnvironments } from '../app-environment.ts';
import { normalizePageviews } from '../track-pageviews.ts';
import { addOutcome, itemKinds, type PastLimit, type ValidatedBatch } from '../validate-events.ts';
import { appendEvents, parseBatchBody } from './batches.ts';

const { maxImportEvents, maxImportBodyBytes, maxIdChars } = IngestLimits;
const DAY_MS = 86_400_000;

const kinds = ['log', 'track', 'metric'] as const;
type Kind = (typeof kinds)[number];

/** The answer to an import: like a batch's, plus the events skipped because they were imported before. */
const ImportResponse = z.object({
  accepted: z.number().int(),
  duplicates: z.number().int().meta({ description: 'Events skipped: their client_event_id is already stored for the app, or came earlier in the request' }),
  rejected: z.number().int(),
  errors: z.array(z.object({ index: z.number().int().meta({ description: 'The item’s position in the request' }), message: z.string() })),
});

/** What every imported item carries beside its kind's fields: an id to deduplicate by, and its time. */
const importFields = <K extends z.ZodType>(kind: K) =>
  z.object({
    kind,
    client_event_id: z.string().min(1).max(maxIdChars).meta({ description: 'Required: re-importing an id already stored for the app is skipped' }),
    timestamp: z
      .union([z.iso.datetime({ offset: true }), z.number().int().nonnegative()])
      .meta({ description: 'Required: any age within the project’s retention, at most 5 minutes ahead' }),
  });

/** One item as documented; validated one by one with its kind's schema (validate-events.ts), never as a whole. */
const ImportItem = z.union([
  z.intersection(IncomingEvent, importFields(z.literal('log').optional().meta({ description: 'A log event, as POST /v1/ingest takes (the default)' }))),
  z.intersection(TrackEvent, importFields(z.literal('track').meta({ description: 'A product event, as POST /v1/track:batch takes' }))),
  z.intersection(MetricPoint, importFields(z.literal('metric').meta({ description: 'A metric point, as POST /v1/metrics:batch takes' }))),
]);

const DocumentedBody = z.object({ events: z.array(ImportItem).min(1).max(maxImportEvents) }).meta({
  description: `At most ${maxImportEvents} events and ${maxImportBodyBytes} bytes (after decompression); each is accepted, skipped as a duplicate or refused on its own`,
});

const ImportBody = z.object({
  events: z
    .array(z.unknown(), { message: 'must be a list of events' })
    .min(1, { message: 'must contain at least one event' })
    .max(maxImportEvents, { message: `must contain at most ${maxImportEvents} events` }),
});

/**
 * Imported events may be of any age the project keeps: one older than its
 * retention would be deleted by the warehouse's TTL as soon as it is stored.
 */
const retentionPast = (receivedAt: number, retentionDays: number): PastLimit => ({
  oldestMs: receivedAt - retentionDays * DAY_MS,
  refusal: `older than the project's retention of ${retentionDays} days`,
});

/** Each item validated as its kind's batch endpoint validates it, with an id and a time required. */
function validateImport(items: readonly unknown[], receivedAt: number, retentionDays: number): ValidatedBatch {
  const batch: ValidatedBatch = { accepted: [], indexes: [], errors: [] };
  const past = retentionPast(receivedAt, retentionDays);
  const refuse = (index: number, message: string) => batch.errors.push({ index, message: `events[${index}]${message}` });
  for (let index = 0; index < items.length; index++) {
    const raw = items[index];
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      refuse(index, ': must be an object');
      continue;
    }
    const fields = raw as Record<string, unknown>;
    const kind = fields.kind ?? 'log';
    if (!kinds.includes(kind as Kind)) {
      refuse(index, `.kind: must be one of ${kinds.join(', ')}`);
      continue;
    }
    const missing = fields.client_event_id == null ? 'client_event_id' : fields.timestamp == null ? 'timestamp' : undefined;
    if (missing) {
      refuse(index, `.${missing}: is required for an import`);
      continue;
    }
    // The kind's schema drops the `kind` field; the log form names it as its endpoint would.
    addOutcome(batch, index, itemKinds[kind as Kind].validate('events', index, raw, receivedAt, past));
  }
  return batch;
}

/**
 * Removes the events whose id the app already has stored, or that came earlier
 * in the request, and returns how many. Events appended but not yet stored are
 * the processors' 48-hour dedupe's to drop.
 */
async function skipDuplicates(warehouse: Warehouse, principal: Principal, batch: ValidatedBatch): Promise<number> {
  const ids = [...new Set(batch.accepted.map((event) => event.event_id))];
  const stored = await storedEventIds(warehouse, principal.projectId, principal.appId, ids);
  const seen = new Set<string>();
  let kept = 0;
  batch.accepted.forEach((event, i) => {
    if (stored.has(event.event_id) || seen.has(event.event_id)) return;
    seen.add(event.event_id);
    batch.accepted[kept] = event;
    batch.indexes[kept] = batch.indexes[i]!;
    kept++;
  });
  const duplicates = batch.accepted.length - kept;
  batch.accepted.length = kept;
  batch.indexes.length = kept;
  return duplicates;
}

/**
 * `$pageview`s get their section as on `/v1/track:batch`, but no pageview is
 * dropped as a repeat of its session's previous one: that in-memory check
 * depends on the order and the process events arrive in, not on their time,
 * so an import (out of order, chunked, or loaded twice) would drop different
 * pageviews each run, and would disturb the check for live visitors.
 */
function normalizeImportedPageviews(projectId: string, batch: ValidatedBatch): void {
  const track = batch.accepted.filter((event) => event.kind === 'track');
  if (track.length > 0) normalizePageviews(projectId, { accepted: track, indexes: track.map((_, i) => i), errors: [] }, undefined);
}

/**
 * `POST /v1/import`: historical events (from another analytics tool, or an
 * outage's backlog) with an import key. Everything live ingest checks applies,
 * except the 30-day limit on age; ids and times are required, and an id already
 * stored for the app is skipped, so a file can be imported again safely.
 * Acknowledged only once every accepted event is durable in the log.
 */
export const importRoutes: ZodRoutes<{ warehouse: Warehouse }> = async (app, { warehouse }) => {
  app.post(
    '/v1/import',
    {
      config: { keyType: 'import', permission: 'events:write', rateLimited: false, backPressure: true },
      bodyLimit: maxImportBodyBytes,
      // The app's error table names the live body limit; this route has its own.
      errorHandler: (error) => {
        if ((error as { code?: string }).code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
          throw new ApiError('payload_too_large', `request body exceeds the import limit of ${maxImportBodyBytes} bytes (after decompression)`);
        }
        throw error;
      },
      schema: {
        summary: 'Import historical events (log, track and metric) with an import key',
        tags: ['edge'],
        body: DocumentedBody,
        response: {
          200: ImportResponse,
          400: z.union([ImportResponse, ErrorBody]).meta({ description: 'No item accepted nor skipped as a duplicate (each refusal by index), or the body itself refused' }),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const principal = request.principal;
      const body = parseBatchBody(ImportBody, request.body, app.metrics);
      const receivedAt = Date.now();
      const batch = validateImport(body.events, receivedAt, principal.retentionDays);
      refuseForeignEnvironments(batch, 'events', principal);
      const duplicates = await skipDuplicates(warehouse, principal, batch);
      normalizeImportedPageviews(principal.projectId, batch);
      await app.userPropertyLimits.enforce(principal.projectId, batch, 'events');
      const { accepted, errors } = batch;
      if (errors.length) app.metrics.rejected('invalid_event', errors.length);
      if (duplicates) app.metrics.duplicatesDropped(duplicates);
      if (accepted.length > 0) {
        // One append for the whole request, as on the batch endpoints: the answer acknowledges every event at once.
        await appendEvents(app, principal, receivedAt, accepted);
        app.metrics.accepted(accepted.length);
      }
      const result = { accepted: accepted.length, duplicates, rejected: errors.length, errors };
      return reply.code(accepted.length + duplicates === 0 ? 400 : 200).send(result);
    },
  );
};
