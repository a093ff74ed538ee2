import type { FastifyPluginAsync } from 'fastify';

export const audienceRoutes: FastifyPluginAsync = async () => {};
