import type { FastifyPluginAsync } from 'fastify';

export const metricQueriesRoutes: FastifyPluginAsync = async () => {};
