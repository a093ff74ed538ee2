import type { FastifyInstance } from 'fastify';
import { clientPath } from './paths.ts';

/** The request headers a browser may send to a client-key route (an allowlist: preflights naming others are not echoed). */
const allowedHeaders = 'authorization, content-type, content-encoding, x-strix-device-id, x-sentry-auth';

/** A registered path as a pattern of concrete paths: a `:parameter` is one segment. */
function routePattern(path: string): RegExp {
  const segments = path.split('/').map((s) => (s.startsWith(':') ? '[^/]+' : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  return new RegExp(`^${segments.join('/')}$`);
}

/**
 * CORS for the routes client keys call from browsers, which send from their apps' own origins: any origin and no
 * cookies (a client key ships inside apps and is no secret), on every answer of those routes — refusals and 429s
 * too, their Retry-After readable — and their preflights. No other route answers a page on another origin.
 * Written here rather than with @fastify/cors: its headers are set in a hook of its own, after authentication has
 * already refused a request, so a page could not read why.
 */
export function allowBrowsersOnClientRoutes(app: FastifyInstance): void {
  const routes: { pattern: RegExp; methods: string[] }[] = [];
  app.addHook('onRoute', (route) => {
    if (route.config?.keyType === 'client') routes.push({ pattern: routePattern(clientPath(route.url)), methods: [route.method].flat() });
  });
  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.config.keyType === 'client') {
      void reply.header('access-control-allow-origin', '*').header('access-control-expose-headers', 'retry-after');
    }
  });
  app.options('*', { schema: { hide: true } }, async (request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    const methods = new Set(routes.filter((r) => r.pattern.test(path)).flatMap((r) => r.methods));
    if (methods.size === 0) return reply.code(404).send({ error: 'not_found', message: `no route for OPTIONS ${path}` });
    return reply
      .code(204)
      .header('access-control-allow-origin', '*')
      .header('access-control-allow-methods', [...methods].join(', '))
      .header('access-control-allow-headers', allowedHeaders)
      .header('access-control-max-age', '86400')
      .send();
  });
}
