import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { IncomingEvent, IngestLimits, MetricPoint, Topics, TrackEvent, batchBody, type EventBatchRecord, type LogEvent, type LogRecord } from '@strix/contracts';
import { ApiError, ErrorBody, errorResponses, literalPath, type Principal, type ZodRoutes } from '@strix/http';
import { refuseForeignEnvironments } from '../app-environment.ts';
import type { Partitioning } from '../edge.ts';
import type { PageviewDeduper } from '../pageviews.ts';
import { normalizePageviews } from '../track-pageviews.ts';
import { validateEvents, validateMetrics, validateTrack, type BatchField, type ValidatedBatch } from '../validate-events.ts';

/** The answer to a batch: how many items were accepted, and why each other one was not. */
const IngestResponse = z.object({
  accepted: z.number().int(),
  rejected: z.number().int(),
  errors: z.array(z.object({ index: z.number().int().meta({ description: 'The item’s position in the batch' }), message: z.string() })),
});

/**
 * A batch body as documented: the items' schema is the one each item is
 * validated against, one by one for partial success (validate-events.ts);
 * the body is never parsed by it as a whole (see route-schemas.ts).
 */
const documentedBatch = (field: BatchField, item: z.ZodType) =>
  z.object({ [field]: z.array(item).min(1).max(IngestLimits.maxEventsPerBatch) }).meta({
    description: `At most ${IngestLimits.maxEventsPerBatch} items; each is accepted or refused on its own`,
  });

/**
 * The accepted events of one request as log records. The embedded log has one
 * partition, so there the request is one record (fewer, larger records are
 * cheaper to write, parse and batch). On a partitioned log each user's events
 * go to the partition of the key `<project>:<user>` (events without a user
 * share one key), so a user's events stay in order on one partition, and the
 * users that share a partition share one record. The user id is keyed as the
 * processors will store it (trimmed), so " u1" and "u1" cannot land on two
 * partitions. A hot user's events go to the overflow topic instead, as a
 * record of their own under a spread key: the user's key and the group's
 * first event id. A hot user's requests spread over the partitions, and a
 * retry that overflows again lands where its first attempt did, so one
 * deduper sees both.
 */
export function toLogRecords(
  principal: Pick<Principal, 'projectId' | 'appId' | 'retentionDays'>,
  receivedAt: number,
  events: LogEvent[],
  partitioning?: Partitioning,
): { events: LogRecord[]; overflow: LogRecord[] } {
  const record = (key: string, group: LogEvent[], partition?: number): LogRecord => {
    const value: EventBatchRecord = {
      v: 1,
      project_id: principal.projectId,
      app_id: principal.appId,
      retention_days: principal.retentionDays,
      received_at: receivedAt,
      events: group,
    };
    return { key, value: Buffer.from(JSON.stringify(value)), ...(partition === undefined ? {} : { partition }) };
  };
  const projectKey = `${principal.projectId}:`;
  if (!partitioning) return { events: [record(projectKey, events)], overflow: [] };
  const byUser = new Map<string, LogEvent[]>();
  for (const event of events) {
    const key = projectKey + (event.user_id?.trim() ?? '');
    const group = byUser.get(key);
    if (group) group.push(event);
    else byUser.set(key, [event]);
  }
  const byPartition = new Map<number, LogEvent[]>();
  const overflow: LogRecord[] = [];
  for (const [key, group] of byUser) {
    if (partitioning.hotKeys.hot(key)) {
      overflow.push(record(`${key}#${group[0]!.event_id}`, group));
      continue;
    }
    const partition = partitioning.partitionOf(key);
    const shared = byPartition.get(partition);
    if (shared) shared.push(...group);
    else byPartition.set(partition, group);
  }
  return { events: Array.from(byPartition, ([partition, group]) => record(projectKey, group, partition)), overflow };
}

/** Appends a request's accepted events to the log (both topics at once when some overflow); resolves once all are durable. */
export async function appendEvents(
  app: FastifyInstance,
  principal: Pick<Principal, 'projectId' | 'appId' | 'retentionDays'>,
  receivedAt: number,
  events: LogEvent[],
): Promise<void> {
  const records = toLogRecords(principal, receivedAt, events, app.partitioning);
  const appends = [app.ingestLog.append(Topics.events, records.events)];
  if (records.overflow.length > 0) appends.push(app.ingestLog.append(Topics.overflow, records.overflow));
  await Promise.all(appends);
}

/**
 * The end of every ingest route, this package's batches and the protocols of other SDKs alike: a validated
 * batch is checked against the key's app and the user-property limits, and its accepted events are appended
 * to the log in one append (the answer acknowledges them all at once). Resolves once they are durable.
 * `refine` may drop events first (pageviews repeating their section); they count as accepted.
 */
export async function appendBatch(
  app: FastifyInstance,
  principal: Principal,
  batch: ValidatedBatch,
  field: BatchField,
  receivedAt: number,
  refine?: (projectId: string, batch: ValidatedBatch) => number,
): Promise<{ accepted: number; errors: ValidatedBatch['errors'] }> {
  refuseForeignEnvironments(batch, field, principal);
  const repeated = refine?.(principal.projectId, batch) ?? 0;
  await app.userPropertyLimits.enforce(principal.projectId, batch, field);
  const { accepted, errors } = batch;
  if (errors.length) app.metrics.rejected('invalid_event', errors.length);
  if (accepted.length > 0) {
    await appendEvents(app, principal, receivedAt, accepted);
    app.metrics.accepted(accepted.length);
  }
  return { accepted: accepted.length + repeated, errors };
}

/** A batch body's envelope (`{events: [...]}`), or a 400 naming what is wrong with it; items are checked one by one later. */
export function parseBatchBody<T>(schema: z.ZodType<T>, raw: unknown, metrics: { rejected(reason: string): void }): T {
  const body = schema.safeParse(raw);
  if (body.success) return body.data;
  const issue = body.error.issues[0];
  const field = issue?.path.length ? issue.path.map(String).join('.') : 'body';
  metrics.rejected('invalid_body');
  throw new ApiError('bad_request', `${field}: ${issue?.message ?? 'invalid body'}`);
}

interface BatchEndpoint {
  url: string;
  summary: string;
  field: BatchField;
  /** What one item is (documentation; `validate` checks it). */
  item: z.ZodType;
  validate: (items: readonly unknown[], receivedAt: number) => ValidatedBatch;
  /** Edge steps after validation that may drop events (pageviews repeating their section). */
  refine?: (projectId: string, batch: ValidatedBatch) => number;
}

/** The key of a request that can send no header (navigator.sendBeacon): the `strix_key` query parameter. */
const beaconKey = (request: FastifyRequest): string | undefined => {
  const key = (request.query as Record<string, unknown> | undefined)?.strix_key;
  return typeof key === 'string' ? key : undefined;
};

/**
 * The batch endpoints, one contract: a client key, per-item validation with
 * partial success, and an acknowledgement only once every accepted item is durable.
 */
export const batchRoutes: ZodRoutes<{ pageviews: PageviewDeduper }> = async (app, { pageviews }) => {
  // A page being closed sends with navigator.sendBeacon, which can set no header: its body is JSON typed text/plain
  // (a type that needs no CORS preflight) and its key is the strix_key query parameter.
  app.addContentTypeParser('text/plain', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(new ApiError('bad_request', 'body: not valid JSON (a text/plain body is read as JSON, as navigator.sendBeacon sends it)'), undefined);
    }
  });
  const endpoints: BatchEndpoint[] = [
    { url: '/v1/ingest', summary: 'Send log events and errors', field: 'events', item: IncomingEvent, validate: validateEvents },
    {
      url: '/v1/track:batch',
      summary: 'Send product events (pageviews, actions)',
      field: 'events',
      item: TrackEvent,
      validate: validateTrack,
      refine: (projectId, batch) => normalizePageviews(projectId, batch, pageviews),
    },
    { url: '/v1/metrics:batch', summary: 'Send metric points and operation phases', field: 'points', item: MetricPoint, validate: validateMetrics },
  ];
  for (const endpoint of endpoints) {
    const Body = batchBody(endpoint.field);
    app.post(
      literalPath(endpoint.url),
      {
        config: { keyType: 'client', permission: 'events:write', rateLimited: true, keyFrom: beaconKey },
        schema: {
          summary: endpoint.summary,
          tags: ['edge'],
          body: documentedBatch(endpoint.field, endpoint.item),
          response: {
            200: IngestResponse,
            400: z.union([IngestResponse, ErrorBody]).meta({ description: 'No item accepted (each refusal by index), or the body itself refused' }),
            ...errorResponses,
          },
        },
      },
      async (request, reply) => {
        const principal = request.principal;
        const body = parseBatchBody(Body, request.body, app.metrics);
        const receivedAt = Date.now();
        const batch = endpoint.validate((body as Record<BatchField, unknown[]>)[endpoint.field], receivedAt);
        const { accepted, errors } = await appendBatch(app, principal, batch, endpoint.field, receivedAt, endpoint.refine);
        const result = { accepted, rejected: errors.length, errors };
        return reply.code(result.accepted === 0 ? 400 : 200).send(result);
      },
    );
  }
};
