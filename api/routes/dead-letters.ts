import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { DeadLetterLimits, listDeadLetters, type StoredDeadLetter } from '@strix/warehouse';
import { errorResponseSchema } from '@strix/http';
import { parseQuery } from '@strix/http';

const DeadLettersQuery = z.strictObject({
  limit: z.coerce
    .number({ error: 'must be an integer' })
    .int({ error: 'must be an integer' })
    .min(1, { error: 'must be at least 1' })
    .max(DeadLetterLimits.maxListed, { error: `must be at most ${DeadLetterLimits.maxListed}` })
    .default(100),
});

const deadLetterSchema = {
  type: 'object',
  properties: {
    failed_at: { type: 'string' },
    app_id: { type: 'string' },
    reason: { type: 'string' },
    event_id: { type: 'string' },
    log: {
      type: 'object',
      properties: { topic: { type: 'string' }, partition: { type: 'integer' }, offset: { type: 'integer' } },
      required: ['topic', 'partition', 'offset'],
    },
    payload_base64: { type: 'string' },
    payload_bytes: { type: 'integer' },
    payload_truncated: { type: 'boolean' },
  },
  required: ['failed_at', 'app_id', 'reason', 'event_id', 'log', 'payload_base64', 'payload_bytes', 'payload_truncated'],
} as const;

const deadLetterView = (d: StoredDeadLetter) => ({
  failed_at: new Date(d.failed_ms).toISOString(),
  app_id: d.app_id,
  reason: d.reason,
  event_id: d.event_id,
  log: { topic: d.log_topic, partition: d.log_partition, offset: d.log_offset },
  payload_base64: d.payload_base64,
  payload_bytes: d.payload_bytes,
  payload_truncated: Buffer.byteLength(d.payload_base64, 'base64') < d.payload_bytes,
});

/**
 * What the processors could not store for this project, newest first (14 days):
 * unreadable log records and events the warehouse refused, with the reason.
 * Agent keys with project:admin, as for the project's settings: a payload is
 * the event as sent, whatever it holds.
 */
export const deadLetterRoutes: FastifyPluginAsync = async (app) => {
  app.get(
    '/v1/dead-letters',
    {
      config: { keyType: 'agent', permission: 'project:admin' },
      schema: {
        response: {
          200: { type: 'object', properties: { dead_letters: { type: 'array', items: deadLetterSchema } }, required: ['dead_letters'] },
          '4xx': errorResponseSchema,
          '5xx': errorResponseSchema,
        },
      },
    },
    async (request) => {
      const { limit } = parseQuery(DeadLettersQuery, request.query);
      return { dead_letters: (await listDeadLetters(app.warehouse, request.principal.projectId, limit)).map(deadLetterView) };
    },
  );
};
