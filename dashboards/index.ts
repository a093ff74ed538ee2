/**
 * The dashboard: the web app product managers and engineers sign in to,
 * served by the api role on the API's own origin (so the session cookie and
 * CSRF header just work). Built in memory at start (build.ts); every path of
 * the app answers the same page, which routes in the browser.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchema } from 'fastify';
import { buildDashboard, etagOf, type BuiltDashboard } from './build.ts';

export { buildDashboard, type BuiltDashboard } from './build.ts';

/** The app's own paths (its sections); anything else is the API's, or a 404. */
export const dashboardPaths = ['/', '/sign-in', '/issues', '/issues/*', '/funnels', '/funnels/*', '/audience', '/audience/*', '/events', '/events/*', '/performance', '/performance/*', '/settings', '/settings/*', '/users/*'] as const;

/**
 * The page may run only its own script, talk only to its own origin, and be
 * framed by no one. Styles set from script (the charts) are not style
 * sources, so styles need no 'unsafe-inline' either.
 */
const contentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

// Pages, not API: left out of /openapi.json (@fastify/swagger reads `hide`).
const hidden = { schema: { hide: true } as FastifySchema };

function secure(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', contentSecurityPolicy)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'same-origin')
    .header('x-frame-options', 'DENY');
}

const acceptsGzip = (request: FastifyRequest) => /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''));

/** Registers the dashboard's page and assets; `built` is a build already made (tests share one). */
export async function dashboardRoutes(app: FastifyInstance, options: { built?: BuiltDashboard } = {}): Promise<void> {
  const built = options.built ?? (await buildDashboard());
  const etag = etagOf(built.html);

  const servePage = async (request: FastifyRequest, reply: FastifyReply) => {
    secure(reply).header('cache-control', 'no-cache').header('etag', etag).type('text/html; charset=utf-8');
    if (request.headers['if-none-match'] === etag) return reply.code(304).send();
    return reply.send(built.html);
  };
  for (const path of dashboardPaths) app.get(path, hidden, servePage);

  app.get<{ Params: { name: string } }>('/assets/:name', hidden, async (request, reply) => {
    const file = built.assets.get(request.params.name);
    if (!file) return reply.code(404).send({ error: 'not_found', message: `no dashboard asset ${request.params.name}` });
    secure(reply).header('cache-control', 'public, max-age=31536000, immutable').header('vary', 'accept-encoding').type(file.type);
    if (acceptsGzip(request)) return reply.header('content-encoding', 'gzip').send(file.gzip);
    return reply.send(file.body);
  });
}
