import { z } from 'zod';
import { ErrorBody, type ZodRoutes } from './route-schemas.ts';

const Status = z.object({ status: z.string(), reason: z.string().optional().meta({ description: 'Why the service is not ready' }) });

const tags = ['health'];

/** Liveness, readiness and Prometheus metrics: no key needed, nothing sensitive exposed. */
export const healthRoutes: ZodRoutes = async (app) => {
  app.get('/healthz', { schema: { summary: 'Liveness: the process answers', tags, response: { 200: Status } } }, async () => ({ status: 'ok' }));

  app.get(
    '/readyz',
    { schema: { summary: 'Readiness: 503 with the reason while the service cannot serve', tags, response: { 200: Status, 503: Status } } },
    async (_request, reply) => {
      const problem = app.readiness();
      return problem ? reply.code(503).send({ status: 'unavailable', reason: problem }) : { status: 'ready' };
    },
  );

  app.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics (text exposition format)',
        tags,
        response: { 200: z.string().meta({ description: 'Prometheus text exposition format' }), '5xx': ErrorBody },
      },
    },
    async (_request, reply) => {
      const text = await app.metrics.registry.metrics();
      return reply.type(app.metrics.registry.contentType).send(text);
    },
  );
};
