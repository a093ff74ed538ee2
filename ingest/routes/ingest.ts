import type { FastifyPluginAsync } from 'fastify';
import { IngestBody, Topics, type EventBatchRecord } from '@strix/contracts';
import { ApiError, errorResponseSchema } from '../errors.ts';
import { validateEvents } from '../validate-events.ts';

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

/** `POST /v1/ingest`: a batch of events from an app's client key, acknowledged once durable. */
export const ingestRoutes: FastifyPluginAsync = async (app) => {
  app.post(
    '/v1/ingest',
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
      const body = IngestBody.safeParse(request.body);
      if (!body.success) {
        const issue = body.error.issues[0];
        const field = issue?.path.length ? issue.path.map(String).join('.') : 'body';
        app.metrics.rejected('invalid_body');
        throw new ApiError('bad_request', `${field}: ${issue?.message ?? 'invalid body'}`);
      }
      const receivedAt = Date.now();
      const { accepted, errors } = validateEvents(body.data.events, receivedAt);
      if (errors.length) app.metrics.rejected('invalid_event', errors.length);
      if (accepted.length > 0) {
        const record: EventBatchRecord = {
          v: 1,
          project_id: principal.projectId,
          app_id: principal.appId,
          retention_days: principal.retentionDays,
          received_at: receivedAt,
          events: accepted,
        };
        await app.ingestLog.append(Topics.events, [
          { key: principal.projectId, value: Buffer.from(JSON.stringify(record)) },
        ]);
        app.metrics.accepted(accepted.length);
      }
      const result = { accepted: accepted.length, rejected: errors.length, errors };
      return reply.code(accepted.length === 0 ? 400 : 200).send(result);
    },
  );
};
