import fastifyCookie from '@fastify/cookie';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { IngestLimits, hashKey, type KeyType, type SessionUser } from '@strix/contracts';
import type { KeyRegistry, Principal } from './auth.ts';
import { ApiError, toApiError } from './errors.ts';
import { allowBrowsersOnClientRoutes } from './cors.ts';
import { decompressBody } from './gzip.ts';
import { healthRoutes } from './health.ts';
import type { StrixMetrics } from './metrics.ts';
import { registerOpenApi } from './openapi.ts';
import { clientPath } from './paths.ts';
import { sessionPrincipal, signedInUser, type SessionAuth } from './session-auth.ts';
import { documentingValidator, zodSerializer } from './route-schemas.ts';

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

/** What every role's HTTP server shares: keys, metrics, readiness and timeouts. */
export interface HttpAppDeps {
  keys: KeyRegistry;
  metrics: StrixMetrics;
  /** Why the service is not ready, or undefined when it is. */
  readiness: () => string | undefined;
  /** Server timeouts when the app listens (default `defaultHttpTimeouts`). */
  httpTimeouts?: HttpTimeouts;
  /** Session cookies (people signed in); without it only keys authenticate. */
  sessions?: SessionAuth;
  /** Proxies whose X-Forwarded-For and X-Forwarded-Proto name the client (default: none). */
  trustProxy?: TrustProxy;
}

/** The addresses and ranges of the proxies in front of the app; false trusts no forwarded header. */
export type TrustProxy = false | readonly string[];

declare module 'fastify' {
  interface FastifyInstance {
    metrics: StrixMetrics;
    readiness: () => string | undefined;
  }
  interface FastifyRequest {
    /** The key (or, on a project's routes, the session acting on a project) that authenticated the request. */
    principal: Principal;
    /** The signed-in person, on routes with `auth: 'user'` (and `auth: 'any'` when no key was sent). */
    user: SessionUser | undefined;
    /** On a `keyFrom: 'body'` route: authenticates the key the body carries (`missing` says where it belongs) as the route requires. */
    authenticateKey(key: string | undefined, missing: string): Principal;
  }
  interface FastifyContextConfig {
    /**
     * The key a route requires; routes without one (nor `auth`) are public (health). An agent route
     * also takes a session cookie with the project in the `x-strix-project` header.
     */
    keyType?: KeyType;
    permission?: string;
    /** 'user': a signed-in person only, never a key (key and member management). 'any': any key or a session (`/v1/me`). */
    auth?: 'user' | 'any';
    /**
     * Where else a key of `keyType` may come from, for protocols other SDKs speak: a function reads it from the
     * request (a header or query parameter of its own) when no `Authorization` header is sent; `body` leaves
     * authentication to the handler, which reads the key from the parsed body and calls `request.authenticateKey`
     * (an `Authorization` header is still taken first, and a body naming another key is refused).
     */
    keyFrom?: ((request: FastifyRequest) => string | undefined) | 'body';
    /** Rate limits and back-pressure apply (the edge's batch endpoints). */
    rateLimited?: boolean;
    /**
     * A file download (GET): a session may also name its project in the `project` query parameter, so
     * a plain link works and the browser saves the answer as it streams (a link cannot send a header).
     */
    downloadLink?: boolean;
  }
}

/** Fastify's default: the longest path parameter the router matches. */
const maxParamLength = 100;

/**
 * The HTTP server every role starts from: key authentication (before the body
 * is read, so a refused request costs no parsing), gzip bodies, one error
 * shape, request metrics, the health routes and the OpenAPI document with its
 * rendered reference (`/openapi.json`, `/docs`). A role registers the route
 * packages it serves (`@strix/edge`, `@strix/api`, `@strix/sql-gateway`) on it;
 * `server/roles/` decides which and where it listens.
 */
export function buildHttpApp(deps: HttpAppDeps): FastifyInstance {
  const app = Fastify({
    bodyLimit: IngestLimits.maxBodyBytes,
    logger: false,
    trustProxy: deps.trustProxy ? [...deps.trustProxy] : false,
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

  app.setValidatorCompiler(documentingValidator);
  app.setSerializerCompiler(zodSerializer);
  app.decorate('metrics', deps.metrics);
  app.decorate('readiness', deps.readiness);
  app.decorateRequest('principal', null as unknown as Principal);
  app.decorateRequest('user', undefined);
  app.decorateRequest('authenticateKey', function (this: FastifyRequest, key: string | undefined, missing: string): Principal {
    const { keyType, keyFrom, permission } = this.routeOptions.config;
    if (keyFrom !== 'body' || !keyType) throw new Error(`${this.routeOptions.url ?? 'this route'} does not take its key from the body`);
    // Authenticated by its Authorization header already: a key in the body too must be the same one.
    if (this.principal) {
      if (key !== undefined && hashKey(key) !== this.principal.keyHash) throw new ApiError('bad_request', 'the key in the body is not the one in the Authorization header; send one of them');
      return this.principal;
    }
    this.principal = deps.keys.authenticateKey(key, keyType, permission, missing);
    return this.principal;
  });
  // Cookies are parsed only where a session is looked for (session-auth.ts), never on the ingest path.
  void app.register(fastifyCookie, { hook: false });

  // First, so a refusal of the hooks below reaches a browser readable.
  allowBrowsersOnClientRoutes(app);

  app.addHook('onRequest', async (request) => {
    const config = request.routeOptions.config;
    const bearer = request.headers.authorization;
    if (config.auth === 'user') {
      if (bearer !== undefined) throw new ApiError('forbidden', 'this endpoint needs a signed-in person; API keys cannot use it');
      request.user = await signedInUser(request, deps.sessions);
    } else if (config.auth === 'any') {
      if (bearer !== undefined) request.principal = deps.keys.authenticate(bearer, 'any');
      else request.user = await signedInUser(request, deps.sessions);
    } else if (config.keyType) {
      const { keyFrom } = config;
      // A key in the body is read once the body is (`request.authenticateKey`); one in the header is taken here, as anywhere.
      if (keyFrom === 'body' && bearer === undefined) return;
      const elsewhere = bearer === undefined && typeof keyFrom === 'function' ? keyFrom(request) : undefined;
      // A session (no key sent) acts on a project as its role allows, on the routes agent keys use.
      request.principal =
        elsewhere !== undefined
          ? deps.keys.authenticateKey(elsewhere, config.keyType, config.permission, 'send "Authorization: Bearer <key>"')
          : bearer === undefined && config.keyType === 'agent' && deps.sessions && request.headers.cookie !== undefined
            ? await sessionPrincipal(request, deps.sessions, config.permission, config.downloadLink === true)
            : deps.keys.authenticate(bearer, config.keyType, config.permission);
    }
  });

  app.addHook('preParsing', async (request, _reply, payload) =>
    decompressBody(payload, request.headers['content-encoding']),
  );

  app.addHook('onResponse', async (request, reply) => {
    deps.metrics.request(request.routeOptions.url ? clientPath(request.routeOptions.url) : 'unknown', reply.statusCode);
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

  registerOpenApi(app);
  void app.register(healthRoutes);
  return app;
}
