/**
 * `GET /openapi.json` and `GET /docs`: the OpenAPI 3.1 document of the routes
 * this app serves, generated from their zod schemas, and a rendered reference
 * (Swagger UI, its assets served from the npm package: no network needed).
 * Registered by `buildHttpApp` before any route package, so each role's
 * document lists exactly the routes it serves. Neither needs a key.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, FastifySchema } from 'fastify';
import { z } from 'zod';
import { isZodSchema, jsonSchemaOf, type ZodRoutes } from './route-schemas.ts';
import { csrfCookie, csrfHeader, sessionCookie } from './session-auth.ts';

const requestParts = ['querystring', 'params', 'body', 'headers'] as const;

/** A route's zod schemas as JSON Schema 2020-12, the dialect of OpenAPI 3.1. */
function documented(schema: FastifySchema): FastifySchema {
  const out: Record<string, unknown> = { ...schema };
  for (const part of requestParts) {
    const value = schema[part];
    if (isZodSchema(value)) out[part] = jsonSchemaOf(value, 'input', 'draft-2020-12');
  }
  if (schema.response && typeof schema.response === 'object') {
    out.response = Object.fromEntries(
      Object.entries(schema.response).map(([status, value]) => [status, isZodSchema(value) ? jsonSchemaOf(value, 'output', 'draft-2020-12') : value]),
    );
  }
  return out;
}


const OpenApiDocument = z
  .looseObject({ openapi: z.string(), info: z.looseObject({}), paths: z.record(z.string(), z.looseObject({})) })
  .meta({ description: 'An OpenAPI 3.1 document' });

const openApiRoutes: ZodRoutes = async (app) => {
  app.get(
    '/openapi.json',
    { schema: { summary: 'This server’s OpenAPI 3.1 document: every route it serves, with request and response schemas', tags: ['reference'], response: { 200: OpenApiDocument } } },
    async () => app.swagger() as z.input<typeof OpenApiDocument>,
  );
};

/** Collects the routes registered after it; call before registering any route. */
export function registerOpenApi(app: FastifyInstance): void {
  void app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Strix',
        version: '1',
        description:
          'Product analytics and error tracking. Client keys send batches to the edge; agent keys read and manage through the API. ' +
          'Send keys as `Authorization: Bearer <key>`.',
      },
      components: {
        securitySchemes: {
          key: { type: 'http', scheme: 'bearer', description: 'A client key (edge) or an agent key (API)' },
          session: {
            type: 'apiKey',
            in: 'cookie',
            name: sessionCookie,
            description: `A signed-in person's session (POST /v1/auth/verify sets it); changes also send the ${csrfHeader} header equal to the ${csrfCookie} cookie`,
          },
        },
      },
    },
    transform: ({ schema, url, route }) => {
      // Routes that need a key or a signed-in person say which; the others (health, this document) are public.
      const config: { keyType?: string; auth?: string } = route.config ?? {};
      const security: Record<string, string[]>[] | undefined = config.auth === 'user' ? [{ session: [] }] : config.auth === 'any' ? [{ key: [] }, { session: [] }] : config.keyType !== undefined ? [{ key: [] }] : undefined;
      const withSecurity = security ? { ...schema, security } : schema;
      return { schema: schema ? documented(withSecurity) : schema, url };
    },
  });
  void app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { validatorUrl: null } });
  void app.register(openApiRoutes);
}
