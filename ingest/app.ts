import Fastify, { type FastifyInstance } from 'fastify';
import type { KeyType, Log, Warehouse } from '@strix/contracts';
import type { IssueService, ScanSummary } from '@strix/issues';
import { IngestLimits } from '@strix/contracts';
import type { KeyRegistry, Principal } from './auth.ts';
import { ApiError, toApiError } from './errors.ts';
import { decompressBody } from './gzip.ts';
import type { StrixMetrics } from './metrics.ts';
import { IngestRateLimiter, type RateLimits } from './rate-limit.ts';
import { analyticsRoutes } from './routes/analytics.ts';
import { eventRoutes } from './routes/events.ts';
import { healthRoutes } from './routes/health.ts';
import { ingestRoutes } from './routes/ingest.ts';
import { issueRoutes } from './routes/issues.ts';
import { projectRoutes } from './routes/project.ts';
import { UserPropertyLimits } from './user-property-limits.ts';

export interface AppDeps {
  log: Log;
  warehouse: Warehouse;
  keys: KeyRegistry;
  metrics: StrixMetrics;
  rateLimits: RateLimits;
  /** Why ingest must push back right now (log or processors behind), or undefined. */
  overloaded: () => string | undefined;
  /** Why the service is not ready, or undefined when it is. */
  readiness: () => string | undefined;
  /** Which route families this process serves (its role); health and metrics are always served. */
  routes?: { ingest: boolean; query: boolean };
  /** One log record per user of a request, keyed by project and user (a partitioned log). */
  partitionByUser?: boolean;
  /** Error tracking, for roles that serve the query routes. */
  issues?: IssueService;
  /** Runs a project's issue scan now and resolves when it finished (in-process, or a Temporal workflow). */
  scanIssues?: (projectId: string) => Promise<ScanSummary>;
}

declare module 'fastify' {
  interface FastifyInstance {
    ingestLog: Log;
    partitionByUser: boolean;
    warehouse: Warehouse;
    metrics: StrixMetrics;
    readiness: () => string | undefined;
    issues: IssueService;
    scanIssues: (projectId: string) => Promise<ScanSummary>;
    userPropertyLimits: UserPropertyLimits;
  }
  interface FastifyRequest {
    principal: Principal;
  }
  interface FastifyContextConfig {
    keyType?: KeyType;
    permission?: string;
    rateLimited?: boolean;
  }
}

/** Seconds a client is asked to wait when the pipeline pushes back. */
const overloadRetryAfterSeconds = 2;

/** Builds the HTTP app; `server/` decides where it listens. */
export function buildApp(deps: AppDeps): FastifyInstance {
  const app = Fastify({ bodyLimit: IngestLimits.maxBodyBytes, logger: false, trustProxy: false });
  const limiter = new IngestRateLimiter(deps.rateLimits);

  app.decorate('ingestLog', deps.log);
  app.decorate('partitionByUser', deps.partitionByUser ?? false);
  app.decorate('warehouse', deps.warehouse);
  app.decorate('metrics', deps.metrics);
  app.decorate('readiness', deps.readiness);
  app.decorate('userPropertyLimits', new UserPropertyLimits(deps.warehouse));
  if (deps.issues) {
    const issues = deps.issues;
    app.decorate('issues', issues);
    app.decorate('scanIssues', deps.scanIssues ?? ((projectId: string) => issues.scan(projectId)));
  }
  app.decorateRequest('principal', null as unknown as Principal);

  // Auth, rate limits and back-pressure run before the body is read, so a
  // rejected request costs no parsing.
  app.addHook('onRequest', async (request) => {
    const config = request.routeOptions.config;
    if (!config.keyType) return;
    request.principal = deps.keys.authenticate(request.headers.authorization, config.keyType, config.permission);
    if (!config.rateLimited) return;
    const device = request.headers['x-strix-device-id'];
    limiter.check(request.principal.keyHash, typeof device === 'string' && device ? `d:${device}` : `ip:${request.ip}`);
    const overload = deps.overloaded();
    if (overload) {
      throw new ApiError('overloaded', `ingest is temporarily over capacity (${overload}); retry later`, overloadRetryAfterSeconds);
    }
  });

  app.addHook('preParsing', async (request, _reply, payload) =>
    decompressBody(payload, request.headers['content-encoding']),
  );

  app.addHook('onResponse', async (request, reply) => {
    deps.metrics.request(request.routeOptions.url ?? 'unknown', reply.statusCode);
  });

  app.setErrorHandler((error, request, reply) => {
    const apiError = toApiError(error as { code?: string; statusCode?: number; message: string });
    if (apiError.statusCode >= 500 && apiError.code !== 'overloaded') {
      request.log.error({ err: error }, 'request failed');
      console.error(`[strix] ${request.method} ${request.url} failed:`, error);
    }
    if (apiError.code !== 'internal') deps.metrics.rejected(apiError.code);
    if (apiError.retryAfterSeconds) void reply.header('retry-after', String(apiError.retryAfterSeconds));
    return reply.code(apiError.statusCode).send({ error: apiError.code, message: apiError.message });
  });

  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error: 'not_found', message: `no route for ${request.method} ${request.url}` }),
  );

  const routes = deps.routes ?? { ingest: true, query: true };
  void app.register(healthRoutes);
  if (routes.ingest) void app.register(ingestRoutes);
  if (routes.query) void app.register(eventRoutes);
  if (routes.query) void app.register(projectRoutes);
  if (routes.query) void app.register(analyticsRoutes);
  if (routes.query && deps.issues) void app.register(issueRoutes);
  return app;
}
