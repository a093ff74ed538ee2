// /openapi.json documents every route the app registered, each with its
// request and response schemas, and /docs renders it: collected from the app
// itself, so a route added without schemas fails here.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { BlobStore, Log, Warehouse } from '@strix/contracts';
import { testApp } from '@strix/testkit/apps';
import { clientPath } from '@strix/http';

interface Operation {
  parameters?: { in: string; name: string }[];
  requestBody?: { content: Record<string, { schema?: object }> };
  responses: Record<string, { content?: Record<string, { schema?: object }> }>;
  security?: object[];
}
interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
}

/** Routes that read nothing from the client: no query, path parameter or body to declare. */
const takesNoInput = new Set(['GET /healthz', 'GET /readyz', 'GET /metrics', 'GET /openapi.json', 'GET /v1/project', 'GET /v1/project/members', 'POST /v1/issues/scan', 'GET /v1/apps', 'POST /v1/auth/sign-out', 'GET /v1/sessions', 'GET /v1/me', 'GET /v1/teams', 'GET /v1/integrations/revenuecat', 'DELETE /v1/integrations/revenuecat', 'POST /v1/integrations/revenuecat/webhook-secret:rotate']);

/** How OpenAPI writes a fastify path: `:id` → `{id}`, `*` → `{*}`, a colon inside a segment is literal. */
const openApiPath = (url: string) => url.replace(/\/:(\w+)/g, '/{$1}').replace(/\*$/, '{*}');

// Nothing here sends a request that reaches the warehouse or the log: the document is the subject.
const unused = new Proxy({}, { get: () => () => Promise.reject(new Error('not used by this test')) });

describe('GET /openapi.json and /docs', () => {
  let app: FastifyInstance;
  const routes = new Set<string>();
  const hidden: string[] = [];

  before(async () => {
    ({ app } = await testApp({
      principals: [],
      edge: {
        log: unused as Log,
        warehouse: unused as Warehouse,
        rateLimits: { perKeyPerSecond: 1, perDevicePerSecond: 1, burstSeconds: 1 },
        overloaded: () => undefined,
      },
      api: { warehouse: unused as Warehouse, attachments: { blobs: unused as BlobStore, signingSecret: Buffer.alloc(32) } },
      configure: (app) =>
        app.addHook('onRoute', (route) => {
          for (const method of [route.method].flat()) {
            if (method === 'HEAD') continue;
            if (route.schema?.hide) hidden.push(route.url);
            else routes.add(`${method} ${clientPath(route.url)}`);
          }
        }),
    }));
  });
  after(() => app.close());

  it('is an OpenAPI 3 document that needs no key', async () => {
    const res = await app.inject({ url: '/openapi.json' });
    assert.equal(res.statusCode, 200, res.body);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    const doc = res.json<OpenApiDocument>();
    assert.match(doc.openapi, /^3\.\d+\.\d+$/);
    assert.equal(typeof doc.paths, 'object');
  });

  it('lists every route the app registered, and nothing else', async () => {
    const doc = (await app.inject({ url: '/openapi.json' })).json<OpenApiDocument>();
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    const expected = [...routes].map((r) => r.replace(/ (.*)$/, (_, url: string) => ` ${openApiPath(url)}`));
    assert.deepEqual(documented.sort(), expected.sort());
    for (const must of ['POST /v1/ingest', 'POST /v1/track:batch', 'GET /v1/events', 'GET /v1/issues/{id}', 'GET /v1/metrics/{*}', 'GET /healthz', 'GET /openapi.json']) {
      assert.ok(documented.includes(must), `${must} is documented`);
    }
    // Only the rendered reference's own assets stay out of the document.
    assert.ok(hidden.length > 0 && hidden.every((url) => url.startsWith('/docs')), hidden.join(', '));
  });

  it('gives each route its request schemas and a schema for each response', async () => {
    const doc = (await app.inject({ url: '/openapi.json' })).json<OpenApiDocument>();
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const name = `${method.toUpperCase()} ${path}`;
        const statuses = Object.keys(op.responses);
        assert.ok(statuses.some((s) => /^2/.test(s)), `${name} documents its success`);
        for (const status of statuses) {
          if (status === '204') continue;
          assert.ok(op.responses[status]?.content?.['application/json']?.schema, `${name} ${status} has a schema`);
        }
        const params = op.parameters ?? [];
        for (const [, param] of path.matchAll(/\{([^}]+)\}/g)) {
          assert.ok(params.some((p) => p.in === 'path' && p.name === param), `${name} declares path parameter ${param}`);
        }
        const input = params.length > 0 || op.requestBody?.content['application/json']?.schema !== undefined;
        assert.equal(input, !takesNoInput.has(name), `${name} ${input ? 'declares input it was listed without' : 'declares no request schema'}`);
      }
    }
  });

  it('documents the deprecated is_dev beside data_mode, and which routes need a key', async () => {
    const doc = (await app.inject({ url: '/openapi.json' })).json<OpenApiDocument>();
    const events = doc.paths['/v1/events']?.get;
    assert.deepEqual(
      ['from', 'to', 'data_mode', 'app_id', 'is_dev'].filter((name) => events?.parameters?.some((p) => p.name === name)),
      ['from', 'to', 'data_mode', 'app_id', 'is_dev'],
    );
    assert.ok(events?.security?.length, 'agent routes name their key');
    assert.equal(doc.paths['/healthz']?.get?.security, undefined, 'health needs no key');
  });

  it('renders the reference at /docs from the package’s own assets', async () => {
    const page = await app.inject({ url: '/docs' });
    assert.equal(page.statusCode, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.match(page.body, /swagger-ui/);
    const bundle = await app.inject({ url: '/docs/static/swagger-ui-bundle.js' });
    assert.equal(bundle.statusCode, 200);
  });
});
