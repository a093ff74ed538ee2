import type { FastifyRequest } from 'fastify';

/** `sentry_key` of `X-Sentry-Auth: Sentry sentry_key=<key>, sentry_version=7, sentry_client=…`. */
export function sentryAuthKey(header: string): string | undefined {
  const params = header.trim().replace(/^sentry\s+/i, '');
  for (const param of params.split(',')) {
    const eq = param.indexOf('=');
    if (eq > 0 && param.slice(0, eq).trim() === 'sentry_key') return param.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}

/**
 * The DSN's public key (a Strix client key), where Sentry SDKs send it: the `X-Sentry-Auth`
 * header, else the `sentry_key` query parameter (what @sentry/node and the browser SDKs send).
 * The project in the path is not trusted: the key alone decides the project.
 */
export function sentryKeyOf(request: FastifyRequest): string | undefined {
  const header = request.headers['x-sentry-auth'];
  const fromHeader = typeof header === 'string' ? sentryAuthKey(header) : undefined;
  if (fromHeader) return fromHeader;
  const query = request.query as Record<string, unknown> | undefined;
  const key = query?.sentry_key;
  return typeof key === 'string' && key !== '' ? key : undefined;
}
