import type { FastifyPluginAsync } from 'fastify';
import { errorResponseSchema } from './errors.ts';

const status = {
  type: 'object',
  properties: { status: { type: 'string' }, reason: { type: 'string' } },
  required: ['status'],
} as const;

/** Liveness, readiness and Prometheus metrics: no key needed, nothing sensitive exposed. */
export const healthRoutes: FastifyPluginAsync = async (app) => {
  app.get('/healthz', { schema: { response: { 200: status } } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { response: { 200: status, 503: status } } }, async (_request, reply) => {
    const problem = app.readiness();
    return problem ? reply.code(503).send({ status: 'unavailable', reason: problem }) : { status: 'ready' };
  });

  app.get('/metrics', { schema: { response: { '5xx': errorResponseSchema } } }, async (_request, reply) => {
    const text = await app.metrics.registry.metrics();
    return reply.type(app.metrics.registry.contentType).send(text);
  });
};
