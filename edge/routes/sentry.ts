import { z } from 'zod';
import { ApiError, errorResponses, type ZodRoutes } from '@strix/http';
import { sentryKeyOf } from '../sentry/auth.ts';
import { parseEnvelope } from '../sentry/envelope.ts';
import { clockAheadMs, ingestSentryEvents, type ReceivedEvent } from '../sentry/ingest-events.ts';

/** The content types Sentry SDKs send (none, from @sentry/node). */
const sentryContentTypes = ['application/x-sentry-envelope', 'text/plain', 'application/json', 'application/octet-stream'];

/** Envelope item types Strix keeps; the others (sessions, transactions, replays, attachments, client reports…) are accepted and dropped. */
const keptItemTypes = new Set(['event']);

/** What Sentry answers: the stored event's id (none for an envelope without one). */
const SentryResponse = z.object({ id: z.string().optional().meta({ description: 'The event id (Sentry’s `event_id`)' }) });

const ProjectParams = z.object({ projectId: z.string().meta({ description: 'Whatever the DSN carries; ignored, the key decides the project' }) });
const AuthQuery = z.object({
  sentry_key: z.string().optional().meta({ description: 'The DSN’s public key: a Strix client key (or send `X-Sentry-Auth: Sentry sentry_key=<key>`)' }),
  sentry_version: z.string().optional(),
  sentry_client: z.string().optional(),
});

const config = { keyType: 'client', permission: 'events:write', rateLimited: true, keyFrom: sentryKeyOf } as const;
const tags = ['edge'];
const asBytes = (body: unknown): Buffer => (Buffer.isBuffer(body) ? body : Buffer.alloc(0));

function json(bytes: Buffer, where: string): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new ApiError('bad_request', `${where}: not valid JSON`);
  }
}

/**
 * What Sentry SDKs send, so an app instrumented with Sentry reports to Strix by its DSN alone
 * (`http://<client key>@<strix host>/<anything>`): the envelope endpoint and the older store
 * endpoint, with and without the trailing slash. Errors and messages become Strix error and
 * log events (sentry/to-strix-event.ts); everything else an SDK sends is accepted and dropped.
 */
export const sentryRoutes: ZodRoutes = async (app) => {
  // Bodies are bytes here, whatever the content type: an envelope is not JSON, and @sentry/node sends no content type.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (request, body, done) => {
    const type = request.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
    if (type && !sentryContentTypes.includes(type)) {
      done(new ApiError('unsupported_media_type', `content-type "${type}" is not accepted here; send ${sentryContentTypes.join(', ')} or none`), undefined);
    } else done(null, body);
  });

  const envelopeSchema = {
    summary: 'Sentry SDKs: an envelope of events, sessions, transactions…',
    description: 'Sentry’s envelope format (gzip or deflate bodies too). `event` items are stored as Strix events; every other item type is accepted and dropped.',
    tags,
    params: ProjectParams,
    querystring: AuthQuery,
    body: z.string().meta({ description: 'A Sentry envelope: a header line, then item header and payload lines' }),
    response: { 200: SentryResponse, ...errorResponses },
  };
  for (const url of ['/api/:projectId/envelope/', '/api/:projectId/envelope']) {
    app.post(url, { config, schema: envelopeSchema }, async (request) => {
      const envelope = parseEnvelope(asBytes(request.body));
      if (typeof envelope === 'string') throw new ApiError('bad_request', envelope);
      const receivedAt = Date.now();
      const eventId = typeof envelope.header.event_id === 'string' ? envelope.header.event_id : undefined;
      const context = { eventId, clockAheadMs: clockAheadMs(envelope.header.sent_at, receivedAt) };
      const received: ReceivedEvent[] = [];
      envelope.items.forEach((item, i) => {
        const where = `envelope item ${i + 1}`;
        if (keptItemTypes.has(item.type)) received.push({ raw: json(item.payload, where), where, context });
      });
      const [id = eventId] = await ingestSentryEvents(app, request.principal, received, receivedAt);
      return id ? { id } : {};
    });
  }

  const storeSchema = {
    summary: 'Sentry SDKs (older): one event',
    description: 'One Sentry event as JSON (gzip or deflate bodies too). Errors and messages are stored as Strix events; transactions are accepted and dropped.',
    tags,
    params: ProjectParams,
    querystring: AuthQuery,
    body: z.looseObject({}).meta({ description: 'A Sentry event' }),
    response: { 200: SentryResponse, ...errorResponses },
  };
  for (const url of ['/api/:projectId/store/', '/api/:projectId/store']) {
    app.post(url, { config, schema: storeSchema }, async (request) => {
      const raw = json(asBytes(request.body), 'body');
      const [id] = await ingestSentryEvents(app, request.principal, [{ raw, where: '', context: {} }], Date.now());
      const sent = (raw as { event_id?: unknown }).event_id;
      const answered = id ?? (typeof sent === 'string' ? sent : undefined);
      return answered ? { id: answered } : {};
    });
  }
};
