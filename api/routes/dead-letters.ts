import { z } from 'zod';
import { DeadLetterLimits, type StoredDeadLetter } from '@strix/processors/dead-letters';
import { errorResponses, parseQuery, type ZodRoutes } from '@strix/http';

const DeadLettersQuery = z.strictObject({
  limit: z.coerce
    .number({ error: 'must be an integer' })
    .int({ error: 'must be an integer' })
    .min(1, { error: 'must be at least 1' })
    .max(DeadLetterLimits.maxListed, { error: `must be at most ${DeadLetterLimits.maxListed}` })
    .default(100),
});

const DeadLetterJson = z.object({
  failed_at: z.string(),
  app_id: z.string(),
  reason: z.string(),
  event_id: z.string(),
  log: z.object({ topic: z.string(), partition: z.number().int(), offset: z.number().int() }).meta({ description: 'Where the record was in the log' }),
  payload_base64: z.string().meta({ description: 'The event as sent, base64; cut at a limit (payload_truncated)' }),
  payload_bytes: z.number().int(),
  payload_truncated: z.boolean(),
});

const deadLetterView = (d: StoredDeadLetter): z.input<typeof DeadLetterJson> => ({
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
 * Agent keys with projects:write, as for changing the project's settings: a
 * payload is the event as sent, whatever it holds.
 */
export const deadLetterRoutes: ZodRoutes = async (app) => {
  app.get(
    '/v1/dead-letters',
    {
      config: { keyType: 'agent', permission: 'projects:write' },
      schema: {
        summary: 'Records the processors could not store, newest first',
        tags: ['project'],
        querystring: DeadLettersQuery,
        response: { 200: z.object({ dead_letters: z.array(DeadLetterJson) }), ...errorResponses },
      },
    },
    async (request) => {
      const { limit } = parseQuery(DeadLettersQuery, request.query);
      return { dead_letters: (await app.deadLetters.list(request.principal.projectId, limit)).map(deadLetterView) };
    },
  );
};
