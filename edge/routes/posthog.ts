import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { IngestLimits } from '@strix/contracts';
import { ApiError, errorResponses, parseParams, parseQuery, type ZodRoutes } from '@strix/http';
import type { PageviewDeduper } from '../pageviews.ts';
import { readCaptureBatch } from '../posthog/capture-batch.ts';
import { compressions, decodeCaptureBody, decodeCaptureData } from '../posthog/decode-body.ts';
import { PostHogEvent } from '../posthog/map-event.ts';
import { FlagsAnswer, RemoteConfig, noFlags, remoteConfig, remoteConfigScript } from '../posthog/remote-config.ts';
import { inPostHogTerms, validateCapture } from '../posthog/validate-capture.ts';
import { normalizePageviews } from '../track-pageviews.ts';
import { appendBatch } from './batches.ts';

const { maxEventsPerBatch, maxBodyBytes } = IngestLimits;
const tags = ['posthog'];

/** PostHog's answer: `{"status": 1}` on its older capture paths, `{"status": "Ok"}` on `/i/v0/e`. */
const CaptureAnswer = z.object({
  status: z.union([z.literal(1), z.literal('Ok')]),
  errors: z
    .array(z.object({ index: z.number().int(), message: z.string() }))
    .optional()
    .meta({ description: 'Strix only, when some events were refused: each by its position in the batch (the others are stored)' }),
});
type CaptureAnswer = z.infer<typeof CaptureAnswer>;

const CaptureQuery = z.object({
  compression: z.string().optional().meta({ description: `How the body is encoded: ${compressions.join(', ')}; a gzip body is also recognized without it` }),
  sent_at: z.string().optional().meta({ description: 'When the client sent the request (ISO 8601 or epoch ms), if the body does not say' }),
  _: z.string().optional().meta({ description: 'The same, as older posthog-js sends it (epoch ms)' }),
  ver: z.string().optional().meta({ description: 'The SDK version (ignored)' }),
  ip: z.string().optional().meta({ description: 'Ignored: Strix never stores a client address' }),
});

type CaptureQuery = z.infer<typeof CaptureQuery>;

const CaptureUrlQuery = CaptureQuery.extend({
  data: z.string().min(1).meta({ description: 'The capture body, base64 (or lz64 with compression=lz64) JSON' }),
});

const CaptureBody = z
  .union([
    z.object({
      api_key: z.string().meta({ description: 'The project API key: a Strix client key' }),
      batch: z.array(PostHogEvent).min(1).max(maxEventsPerBatch),
      sent_at: z.string().optional(),
    }),
    z.array(PostHogEvent).min(1).max(maxEventsPerBatch),
    PostHogEvent.extend({ api_key: z.string().optional(), token: z.string().optional() }),
  ])
  .meta({
    description:
      `PostHog's capture body: {api_key, batch}, a list of events or one event (the key may also be each event's api_key, token or properties.token). ` +
      `JSON, text/plain JSON, a form with data=<base64 JSON>, or compressed (compression=gzip-js|base64|lz64); at most ${maxEventsPerBatch} events and ${maxBodyBytes} bytes after decompression`,
  });

const FlagsQuery = z.object({
  v: z.string().optional().meta({ description: 'The response version the SDK reads (any: the answer fits them all)' }),
  config: z.string().optional(),
  compression: CaptureQuery.shape.compression,
  ip: CaptureQuery.shape.ip,
  _: CaptureQuery.shape._,
  ver: CaptureQuery.shape.ver,
});
const FlagsBody = z
  .object({ token: z.string().meta({ description: 'The project API key (a Strix client key); api_key is also read' }), distinct_id: z.string().optional() })
  .meta({ description: 'Encoded as a capture body may be' });

// Strix keys are letters, digits and `_`: nothing else in the path reaches the script answered.
const ConfigParams = z.object({
  key: z
    .string()
    .regex(/^[A-Za-z0-9_]{1,100}$/, { error: 'must be a project API key (letters, digits and _)' })
    .meta({ description: 'The project API key (a Strix client key)' }),
});

const bodyOf = (request: FastifyRequest) => (Buffer.isBuffer(request.body) ? request.body : undefined);
const text = (value: unknown) => (typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined);

/**
 * The capture endpoints of PostHog's SDKs, so an app instrumented with posthog-js or posthog-node
 * sends to Strix with `host` set to Strix and a client key as its project API key. The key travels
 * in the body, so these routes authenticate after decoding it (`keyFrom: 'body'`); events are
 * mapped (posthog/map-event.ts), validated and appended exactly as the batch endpoints' are.
 */
export const posthogRoutes: ZodRoutes<{ pageviews: PageviewDeduper }> = async (app, { pageviews }) => {
  // Bodies are read as bytes and decoded by the handler: posthog-js sends gzip as text/plain and base64 in forms.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  const capture = async (request: FastifyRequest, status: CaptureAnswer['status'], body: unknown, query: CaptureQuery): Promise<CaptureAnswer> => {
    const { key, sentAt, events } = readCaptureBatch(body, query);
    const principal = request.authenticateKey(key, 'send the project API key as api_key');
    app.admitIngest(request);
    if (events.length > maxEventsPerBatch) {
      // posthog-node halves its batch on a 413 and sends again.
      throw new ApiError('payload_too_large', `batch: at most ${maxEventsPerBatch} events per request, ${events.length} sent`);
    }
    const receivedAt = Date.now();
    const { batch, dropped } = validateCapture(events, receivedAt, sentAt);
    const { accepted, errors } = await appendBatch(app, principal, batch, 'events', receivedAt, (projectId, b) => normalizePageviews(projectId, b, pageviews));
    const refusals = errors.map(inPostHogTerms);
    if (accepted + dropped === 0) {
      const more = refusals.length > 3 ? ` (and ${refusals.length - 3} more)` : '';
      throw new ApiError('bad_request', `no event accepted: ${refusals.slice(0, 3).map((e) => e.message).join('; ')}${more}`);
    }
    return { status, ...(refusals.length > 0 && { errors: refusals }) };
  };

  const paths: [path: string, status: CaptureAnswer['status']][] = [
    ['/batch', 1],
    ['/capture', 1],
    ['/e', 1],
    ['/i/v0/e', 'Ok'],
  ];
  const captureConfig = { keyType: 'client', permission: 'events:write', rateLimited: true, keyFrom: 'body' } as const;
  for (const [path, status] of paths) {
    for (const url of [path, `${path}/`]) {
      app.post(
        url,
        {
          config: captureConfig,
          schema: {
            summary: 'Capture events as PostHog SDKs send them (posthog-js, posthog-node)',
            tags,
            querystring: CaptureQuery,
            body: CaptureBody,
            response: { 200: CaptureAnswer, ...errorResponses },
          },
        },
        async (request) => {
          const query = parseQuery(CaptureQuery, request.query);
          return capture(request, status, await decodeCaptureBody(bodyOf(request), request.headers['content-type'], query.compression, maxBodyBytes), query);
        },
      );
      app.get(
        url,
        {
          config: captureConfig,
          schema: {
            summary: 'Capture events sent in the URL, as image pixels and older PostHog clients do (data=<base64 or lz64 JSON>)',
            tags,
            querystring: CaptureUrlQuery,
            response: { 200: CaptureAnswer, ...errorResponses },
          },
        },
        async (request) => {
          const query = parseQuery(CaptureUrlQuery, request.query);
          return capture(request, status, decodeCaptureData(query.data, query.compression, maxBodyBytes), query);
        },
      );
    }
  }

  for (const url of ['/flags', '/flags/', '/decide', '/decide/']) {
    app.post(
      url,
      {
        config: { keyType: 'client', permission: 'events:write', keyFrom: 'body' },
        schema: {
          summary: 'PostHog feature flags and configuration: none (Strix has no feature flags)',
          tags,
          querystring: FlagsQuery,
          body: FlagsBody,
          response: { 200: FlagsAnswer, ...errorResponses },
        },
      },
      async (request) => {
        const query = parseQuery(FlagsQuery, request.query);
        const body = await decodeCaptureBody(bodyOf(request), request.headers['content-type'], query.compression, maxBodyBytes);
        const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
        request.authenticateKey(text(fields.token) ?? text(fields.api_key) ?? text(fields.$token), 'send the project API key as token');
        return noFlags;
      },
    );
  }

  const keyInPath = { keyType: 'client', permission: 'events:write', keyFrom: (request: FastifyRequest) => (request.params as { key?: string }).key } as const;
  app.route({
    method: ['GET', 'POST'],
    url: '/array/:key/config',
    config: keyInPath,
    schema: { summary: 'PostHog remote configuration for posthog-js: every product Strix does not have off', tags, params: ConfigParams, response: { 200: RemoteConfig, ...errorResponses } },
    handler: async () => remoteConfig,
  });
  app.get(
    '/array/:key/config.js',
    {
      config: keyInPath,
      schema: {
        summary: 'The same configuration as the script posthog-js loads first',
        tags,
        params: ConfigParams,
        response: { 200: z.string().meta({ description: 'JavaScript (application/javascript)' }), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { key } = parseParams(ConfigParams, request.params);
      return reply.type('application/javascript; charset=utf-8').header('cache-control', 'no-cache').send(remoteConfigScript(key));
    },
  );
};
