import type { FastifyPluginAsync } from 'fastify';
import { audienceRoutes } from './audience.ts';
import { funnelsRoutes } from './funnels.ts';
import { metricQueriesRoutes } from './metric-queries.ts';

/** The analytics read side: funnels, audience and metric rollups, for agent keys. */
export const analyticsRoutes: FastifyPluginAsync = async (app) => {
  await app.register(funnelsRoutes);
  await app.register(audienceRoutes);
  await app.register(metricQueriesRoutes);
};
