import type { FastifyPluginAsync } from 'fastify';
import { audienceRoutes } from './audience.ts';
import { funnelsRoutes } from './funnels.ts';
import { metricQueriesRoutes } from './metric-queries.ts';
import { userRoutes } from './users.ts';

/** The analytics read side: funnels, audience, metric rollups and user properties, for agent keys. */
export const analyticsRoutes: FastifyPluginAsync = async (app) => {
  await app.register(funnelsRoutes);
  await app.register(audienceRoutes);
  await app.register(metricQueriesRoutes);
  await app.register(userRoutes);
};
