import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { KeyType, Log, Warehouse } from '@strix/contracts';
import type { IssueService, ScanSummary } from '@strix/issues';
import { IngestLimits } from '@strix/contracts';
import type { KeyRegistry, Principal } from './auth.ts';
import { ApiError, toApiError } from './errors.ts';
import { decompressBody } from './gzip.ts';
import type { StrixMetrics } from './metrics.ts';
import { IngestRateLimiter, type RateLimits } from './rate-limit.ts';
import { analyticsRoutes } from './routes/analytics.ts';
import { deadLetterRoutes } from './routes/dead-letters.ts';
import { eventRoutes } from './routes/events.ts';
import { healthRoutes } from './routes/health.ts';
import { ingestRoutes } from './routes/ingest.ts';
import { issueRoutes } from './routes/issues.ts';
import { projectRoutes } from './routes/project.ts';
import { UserPropertyLimits } from './user-property-limits.ts';

/** How long the HTTP server waits on a client; see `server/config.ts` for each limit's variable. */
export interface HttpTimeouts {
  /** Time to receive a request's headers. */
  headersMs: number;
  /** Time to receive a whole request, body included; answering it (a streamed result) is not bounded by this. */
  requestMs: number;
  /** An idle keep-alive connection is closed after this long. */
  keepAliveMs: number;
}

export const defaultHttpTimeouts: HttpTimeouts = { headersMs: 10_000, requestMs: 30_000, keepAliveMs: 65_000 };

/**
 * Fastify's own request timeout is 0 (none): a client that sends half a body and
 * stalls would hold its socket forever. Node checks the headers and request
 * timeouts on a timer (30 s by default), so a stalled request lived up to the
 * timeout plus that; checking every second (or faster for sub-second limits)
 * keeps the bound close to the limit. Node's request timeout ends when the
 * request is fully received, so a long streamed answer is not cut. Node keeps
 * an idle keep-alive socket one second past its advertised timeout, against
 * races with a client reusing it.
 */
function serverOptions(t: HttpTimeouts) {
  return {
    requestTimeout: t.requestMs,
    keepAliveTimeout: t.keepAliveMs,
    http: {
      headersTimeout: t.headersMs,
      requestTimeout: t.requestMs,
      connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(t.headersMs / 4))),
    },
  };
}

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
  /** Server timeouts when the app listens (default `defaultHttpTimeouts`). */
  httpTimeouts?: HttpTimeouts;
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

/** Fastify's default: the longest path parameter the router matches. */
const maxParamLength = 100;

/** Seconds a client is asked to wait when the pipeline pushes back. */
const overloadRetryAfterSeconds = 2;

/** Builds the HTTP app; `server/` decides where it listens. */
export function buildApp(deps: AppDeps): FastifyInstance {
  const app = Fastify({
    bodyLimit: IngestLimits.maxBodyBytes,
    logger: false,
    trustProxy: false,
    routerOptions: { maxParamLength },
    ...serverOptions(deps.httpTimeouts ?? defaultHttpTimeouts),
    // The router's own refusals (a path that is not UTF-8, a parameter over maxParamLength) answer in the error table's shape too.
    frameworkErrors: (error, _request, reply) => {
      const apiError =
        error.code === 'FST_ERR_MAX_PARAM_LENGTH'
          ? new ApiError('bad_request', `path parameter: at most ${maxParamLength} characters`)
          : error.code === 'FST_ERR_BAD_URL'
            ? new ApiError('bad_request', 'path: not a valid percent-encoded UTF-8 path')
            : toApiError(error);
      deps.metrics.rejected(apiError.code);
      // The reply is typed for any route schema; this answer fits the shape every route declares for errors.
      void (reply as FastifyReply).code(apiError.statusCode).send({ error: apiError.code, message: apiError.message });
    },
  });
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
  if (routes.query) void app.register(deadLetterRoutes);
  if (routes.query) void app.register(analyticsRoutes);
  if (routes.query && deps.issues) void app.register(issueRoutes);
  return app;
}
