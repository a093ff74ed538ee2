import type { FastifyPluginAsync } from 'fastify';

export const funnelsRoutes: FastifyPluginAsync = async () => {};
