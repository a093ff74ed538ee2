import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { Log, Warehouse } from '@strix/contracts';
import { ApiError } from '@strix/http';
import type { HotKeys } from './hot-keys.ts';
import { IngestRateLimiter, type RateLimits } from './rate-limit.ts';
import { PageviewDeduper } from './pageviews.ts';
import { batchRoutes } from './routes/batches.ts';
import { importRoutes } from './routes/import.ts';
import { posthogRoutes } from './routes/posthog.ts';
import { sentryRoutes } from './routes/sentry.ts';
import { UserPropertyLimits } from './user-property-limits.ts';

export interface EdgeDeps {
  /** Where accepted batches are appended (acknowledged once durable). */
  log: Log;
  /** On a partitioned log (Kafka): where each user's events go, and which users are hot. Absent: a request is one record. */
  partitioning?: Partitioning;
  /** Read for the user-property key limit. */
  warehouse: Warehouse;
  rateLimits: RateLimits;
  /** Why ingest must push back right now (log or processors behind), or undefined. */
  overloaded: () => string | undefined;
}

/** How a request's events are spread over a partitioned log's partitions (routes/batches.ts `toLogRecords`). */
export interface Partitioning {
  /** The partition of a `<project>:<user>` key in the events topic. */
  partitionOf(key: string): number;
  /** Users past their appends per second, whose excess goes to the overflow topic. */
  hotKeys: HotKeys;
}

declare module 'fastify' {
  interface FastifyInstance {
    ingestLog: Log;
    partitioning: Partitioning | undefined;
    userPropertyLimits: UserPropertyLimits;
    /**
     * The rate limits and back-pressure of a `rateLimited` route, for a route that authenticates from its body
     * (`keyFrom: 'body'`): called once `request.principal` is set. Other routes have them before the body is read.
     */
    admitIngest(request: FastifyRequest): void;
  }
  interface FastifyContextConfig {
    /** Refused with 503 while the pipeline is behind, without a device's rate limits (imports); `rateLimited` implies it. */
    backPressure?: boolean;
  }
}

/** Seconds a client is asked to wait when the pipeline pushes back. */
const overloadRetryAfterSeconds = 2;

/**
 * The edge: the batch endpoints for client keys and the import endpoint for
 * import keys, their rate limits and back-pressure, validation and the append
 * to the log. Registered on the app of `@strix/http`, whose hook has already
 * authenticated the key.
 */
export const edgeRoutes: FastifyPluginAsync<EdgeDeps> = async (app, deps) => {
  const limiter = new IngestRateLimiter(deps.rateLimits);
  app.decorate('ingestLog', deps.log);
  app.decorate('partitioning', deps.partitioning);
  app.decorate('userPropertyLimits', new UserPropertyLimits(deps.warehouse));

  const admit = (request: FastifyRequest) => {
    const { rateLimited, backPressure } = request.routeOptions.config;
    if (!rateLimited && !backPressure) return;
    if (rateLimited) {
      const device = request.headers['x-strix-device-id'];
      limiter.check(request.principal.keyHash, typeof device === 'string' && device ? `d:${device}` : `ip:${request.ip}`);
    }
    const overload = deps.overloaded();
    if (overload) {
      throw new ApiError('overloaded', `ingest is temporarily over capacity (${overload}); retry later`, overloadRetryAfterSeconds);
    }
  };
  app.decorate('admitIngest', admit);
  // Before the body is read, so a rejected request costs no parsing (a key in the body is admitted by its route).
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.config.keyFrom !== 'body') admit(request);
  });

  // One for every route that takes pageviews, so a view sent by the SDK and its repeat sent by posthog-js meet.
  const pageviews = new PageviewDeduper();
  await app.register(batchRoutes, { pageviews });
  await app.register(importRoutes, { warehouse: deps.warehouse });
  await app.register(sentryRoutes);
  await app.register(posthogRoutes, { pageviews });
};
