import type { FastifyPluginAsync } from 'fastify';
import { Topics, batchBody, type EventBatchRecord, type LogEvent, type LogRecord } from '@strix/contracts';
import type { Principal } from '@strix/http';
import { ApiError, errorResponseSchema } from '@strix/http';
import { PageviewDeduper } from '../pageviews.ts';
import { normalizePageviews } from '../track-pageviews.ts';
import { validateEvents, validateMetrics, validateTrack, type BatchField, type ValidatedBatch } from '../validate-events.ts';

const ingestResponse = {
  type: 'object',
  properties: {
    accepted: { type: 'integer' },
    rejected: { type: 'integer' },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        properties: { index: { type: 'integer' }, message: { type: 'string' } },
        required: ['index', 'message'],
      },
    },
  },
  required: ['accepted', 'rejected', 'errors'],
} as const;

/**
 * The accepted events of one request as log records. On a partitioned log
 * (`byUser`): one record per distinct user (events without a user share one),
 * keyed `<project>:<user>`, so each user's events stay in order on one
 * partition. The user id is keyed as the processors will store it (trimmed),
 * so " u1" and "u1" cannot land on two partitions. The embedded log has one
 * partition, so there the request stays one record (fewer, larger records are
 * cheaper to write, parse and batch).
 */
export function toLogRecords(
  principal: Pick<Principal, 'projectId' | 'appId' | 'retentionDays'>,
  receivedAt: number,
  events: readonly LogEvent[],
  byUser: boolean,
): LogRecord[] {
  const groups = new Map<string, LogEvent[]>();
  for (const event of events) {
    const user = byUser ? (event.user_id?.trim() ?? '') : '';
    const group = groups.get(user);
    if (group) group.push(event);
    else groups.set(user, [event]);
  }
  return Array.from(groups, ([user, group]) => {
    const record: EventBatchRecord = {
      v: 1,
      project_id: principal.projectId,
      app_id: principal.appId,
      retention_days: principal.retentionDays,
      received_at: receivedAt,
      events: group,
    };
    return { key: `${principal.projectId}:${user}`, value: Buffer.from(JSON.stringify(record)) };
  });
}

interface BatchEndpoint {
  url: string;
  field: BatchField;
  validate: (items: readonly unknown[], receivedAt: number) => ValidatedBatch;
  /** Edge steps after validation that may drop events (pageviews repeating their section). */
  refine?: (projectId: string, batch: ValidatedBatch) => number;
}

/**
 * The batch endpoints, one contract: a client key, per-item validation with
 * partial success, and an acknowledgement only once every accepted item is durable.
 */
export const batchRoutes: FastifyPluginAsync = async (app) => {
  const pageviews = new PageviewDeduper();
  const endpoints: BatchEndpoint[] = [
    { url: '/v1/ingest', field: 'events', validate: validateEvents },
    {
      url: '/v1/track:batch',
      field: 'events',
      validate: validateTrack,
      refine: (projectId, batch) => normalizePageviews(projectId, batch, pageviews),
    },
    { url: '/v1/metrics:batch', field: 'points', validate: validateMetrics },
  ];
  for (const endpoint of endpoints) {
    const Body = batchBody(endpoint.field);
    app.post(
      endpoint.url,
      {
        config: { keyType: 'client', rateLimited: true },
        schema: {
          response: {
            200: ingestResponse,
            400: { anyOf: [ingestResponse, errorResponseSchema] },
            '4xx': errorResponseSchema,
            '5xx': errorResponseSchema,
          },
        },
      },
      async (request, reply) => {
        const principal = request.principal;
        const body = Body.safeParse(request.body);
        if (!body.success) {
          const issue = body.error.issues[0];
          const field = issue?.path.length ? issue.path.map(String).join('.') : 'body';
          app.metrics.rejected('invalid_body');
          throw new ApiError('bad_request', `${field}: ${issue?.message ?? 'invalid body'}`);
        }
        const receivedAt = Date.now();
        const batch = endpoint.validate((body.data as Record<BatchField, unknown[]>)[endpoint.field], receivedAt);
        const repeated = endpoint.refine?.(principal.projectId, batch) ?? 0;
        await app.userPropertyLimits.enforce(principal.projectId, batch, endpoint.field);
        const { accepted, errors } = batch;
        if (errors.length) app.metrics.rejected('invalid_event', errors.length);
        if (accepted.length > 0) {
          // One append for all of the request's records: the response acknowledges every event at once.
          await app.ingestLog.append(Topics.events, toLogRecords(principal, receivedAt, accepted, app.partitionByUser));
          app.metrics.accepted(accepted.length);
        }
        const result = { accepted: accepted.length + repeated, rejected: errors.length, errors };
        return reply.code(result.accepted === 0 ? 400 : 200).send(result);
      },
    );
  }
};
