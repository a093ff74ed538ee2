import type { Readable } from 'node:stream';
import { z } from 'zod';
import { verifyDownloadToken, signDownloadToken, type DownloadTokenRefusal } from '@strix/blobs';
import { BlobRejectedError, IngestLimits, type BlobStore } from '@strix/contracts';
import {
  AttachmentQuotaError,
  attachmentBlobKey,
  getAttachment,
  listAttachments,
  markUploaded,
  reserveAttachment,
  softDeleteAttachment,
  type AttachmentRow,
} from '@strix/control';
import { ApiError, NoContent, errorResponses, parseBody, parseParams, parseQuery, type ZodRoutes } from '@strix/http';

export interface AttachmentRoutesDeps {
  /** Where the files are kept. */
  blobs: BlobStore;
  /** The key download tokens are signed with (at least 32 bytes; every api process of a deployment shares it). */
  signingSecret: Uint8Array;
}

/** The largest file one attachment may be (100 MiB): under an end user's 250 MB quota, and uploadable within a few minutes. */
export const maxAttachmentBytes = 100 * 1024 * 1024;
const maxFileNameChars = 255;
const maxListed = 500;

/** Types served as themselves: images and plain text or data a browser shows inertly. Anything else is application/octet-stream. */
const inertTypes = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'text/plain', 'text/csv', 'application/json', 'application/pdf']);

const ingest = { keyType: 'client', permission: 'events:write' } as const;
const read = { keyType: 'agent', permission: 'issues:read' } as const;
const write = { keyType: 'agent', permission: 'issues:write' } as const;
const tags = ['attachments'];

const idText = (what: string) =>
  z.string({ error: 'is required' }).min(1, { error: 'is required' }).max(IngestLimits.maxIdChars, { error: `must be at most ${IngestLimits.maxIdChars} characters` }).meta({ description: what });

const ReserveBody = z.strictObject({
  file_name: z
    .string({ error: 'is required' })
    .min(1, { error: 'is required' })
    .max(maxFileNameChars, { error: `must be at most ${maxFileNameChars} characters` })
    .refine((name) => !/[\u0000-\u001f\u007f]/.test(name), { error: 'must not contain control characters' }),
  size: z
    .number({ error: 'must be a whole number of bytes' })
    .int({ error: 'must be a whole number of bytes' })
    .min(1, { error: 'must be at least 1 byte' })
    .max(maxAttachmentBytes, { error: `must be at most ${maxAttachmentBytes} bytes (100 MiB)` }),
  sha256: z
    .string({ error: 'is required' })
    .regex(/^[0-9a-fA-F]{64}$/, { error: 'must be the SHA-256 of the file as 64 hex digits' })
    .transform((hex) => hex.toLowerCase()),
  content_type: z
    .string()
    .max(255, { error: 'must be at most 255 characters' })
    .regex(/^[\u0020-\u007e]*$/, { error: 'must be printable ASCII' })
    .default('application/octet-stream'),
  client_event_id: idText('The id of the event the file belongs to, as the client sends it'),
  user_id: z.string().max(IngestLimits.maxIdChars, { error: `must be at most ${IngestLimits.maxIdChars} characters` }).default('').meta({ description: "The event's end user; '' for none (no per-user quota)" }),
});

const IdParams = z.object({ id: idText("The attachment's id") });
const ListQuery = z
  .strictObject({
    event_id: idText('Attachments of this event (its id as the client sent it)').optional(),
    issue_id: idText('Attachments linked to this issue').optional(),
    limit: z.coerce.number({ error: 'must be an integer' }).int({ error: 'must be an integer' }).min(1, { error: 'must be at least 1' }).max(maxListed, { error: `must be at most ${maxListed}` }).default(100),
  })
  .refine((q) => (q.event_id === undefined) !== (q.issue_id === undefined), { error: 'give exactly one of event_id and issue_id' });
const DownloadQuery = z.object({ token: z.string({ error: 'is required' }).min(1, { error: 'is required' }).max(2048, { error: 'must be at most 2048 characters' }) });

const AttachmentJson = z.object({
  id: z.string(),
  app_id: z.string(),
  user_id: z.string(),
  event_id: z.string().meta({ description: "The event's id as the client sent it" }),
  issue_id: z.string().nullable().meta({ description: 'Set by the issue scan once the event is grouped; the file then outlives the event' }),
  file_name: z.string(),
  content_type: z.string(),
  size: z.number(),
  sha256: z.string(),
  status: z.enum(['reserved', 'uploaded']),
  created_at: z.string(),
  uploaded_at: z.string().nullable(),
});

const attachmentJson = (a: AttachmentRow): z.input<typeof AttachmentJson> => ({
  id: a.id,
  app_id: a.app_id,
  user_id: a.user_id,
  event_id: a.client_event_id,
  issue_id: a.issue_id,
  file_name: a.file_name,
  content_type: a.content_type,
  size: Number(a.size),
  sha256: a.sha256,
  status: a.status,
  created_at: new Date(Number(a.created_at)).toISOString(),
  uploaded_at: a.uploaded_at === null ? null : new Date(Number(a.uploaded_at)).toISOString(),
});

const uploadPath = (id: string) => `/v1/ingest/attachment/${encodeURIComponent(id)}`;

const refusals: Record<DownloadTokenRefusal, string> = {
  malformed: 'is malformed',
  tampered: 'was altered or not signed by this server',
  other_project: "is for another project's attachment",
  other_attachment: 'is for another attachment',
  expired: 'has expired',
};

/**
 * Attachments: a client reserves room for a file (quotas checked before any
 * byte), then streams it with PUT; people and agent keys with issues:read list
 * an event's or an issue's files and download them through short-lived signed
 * URLs that need no key (a browser link, an agent's plain GET).
 */
export const attachmentRoutes: ZodRoutes<AttachmentRoutesDeps> = async (app, deps) => {
  const db = app.control.db;

  app.post(
    '/v1/ingest/attachment',
    {
      config: ingest,
      schema: {
        summary: "Reserves room for a file of an event, within the end user's and the project's quotas",
        tags,
        body: ReserveBody,
        response: { 200: z.object({ attachment: AttachmentJson, upload_url: z.string().meta({ description: 'PUT the file here, with the same key' }) }), ...errorResponses },
      },
    },
    async (request) => {
      const body = parseBody(ReserveBody, request.body);
      const { projectId, appId } = request.principal;
      try {
        const row = await reserveAttachment(db, { project_id: projectId, app_id: appId, ...body });
        return { attachment: attachmentJson(row), upload_url: uploadPath(row.id) };
      } catch (error) {
        if (error instanceof AttachmentQuotaError) throw new ApiError(error.code, error.message);
        throw error;
      }
    },
  );

  // The upload's body is handed on as the request's stream: never parsed, never held whole.
  await app.register(async (upload) => {
    upload.removeAllContentTypeParsers();
    upload.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
    upload.put(
      '/v1/ingest/attachment/:id',
      {
        config: ingest,
        schema: {
          summary: 'Streams the reserved file; its size and SHA-256 must be those reserved',
          description: `Any content type; the body is the file's bytes. Stored durably before the answer. A body cut off leaves nothing, and the reservation can be uploaded again.`,
          tags,
          params: IdParams,
          response: { 200: z.object({ attachment: AttachmentJson }), ...errorResponses },
        },
      },
      async (request) => {
        const { id } = parseParams(IdParams, request.params);
        const { projectId, appId } = request.principal;
        const reserved = await getAttachment(db, projectId, id);
        if (!reserved || reserved.app_id !== appId) throw new ApiError('not_found', `attachment ${id} does not exist for this app`);
        if (reserved.status === 'uploaded') throw new ApiError('conflict', `attachment ${id} is already uploaded`);
        const size = Number(reserved.size);
        const declared = Number(request.headers['content-length']);
        if (declared > size) throw new ApiError('payload_too_large', `body: ${declared} bytes sent, the reservation is for ${size}`);
        const body = request.body as Readable | undefined;
        if (!body) throw new ApiError('bad_request', `body: empty, the reservation is for ${size} bytes`);
        try {
          await deps.blobs.put(attachmentBlobKey(id), body, { size, sha256: reserved.sha256 });
        } catch (error) {
          if (error instanceof BlobRejectedError) throw new ApiError(error.reason === 'too_large' ? 'payload_too_large' : 'bad_request', error.message);
          // The client went away mid-body: nothing was stored, and the reservation can be uploaded again.
          if (request.raw.readableAborted || request.raw.errored) throw new ApiError('bad_request', `body: the connection closed before the ${size} bytes reserved arrived`);
          throw error;
        }
        const uploaded = await markUploaded(db, projectId, id);
        if (!uploaded) {
          // Deleted (or purged) while it was sent: its file goes too.
          await deps.blobs.delete(attachmentBlobKey(id));
          throw new ApiError('not_found', `attachment ${id} was deleted during its upload`);
        }
        return { attachment: attachmentJson(uploaded) };
      },
    );
  });

  app.get(
    '/v1/attachments',
    {
      config: read,
      schema: { summary: "An event's or an issue's attachments, newest first", tags, querystring: ListQuery, response: { 200: z.object({ attachments: z.array(AttachmentJson) }), ...errorResponses } },
    },
    async (request) => {
      const q = parseQuery(ListQuery, request.query);
      const of = q.event_id !== undefined ? { eventId: q.event_id } : { issueId: q.issue_id ?? '' };
      return { attachments: (await listAttachments(db, request.principal.projectId, of, q.limit)).map(attachmentJson) };
    },
  );

  const attachmentOf = async (projectId: string, id: string) => {
    const row = await getAttachment(db, projectId, id);
    if (!row) throw new ApiError('not_found', `attachment ${id} does not exist in this project`);
    return row;
  };

  app.get(
    '/v1/attachments/:id',
    {
      config: read,
      schema: {
        summary: 'An attachment, with a download URL valid for a few minutes',
        tags,
        params: IdParams,
        response: {
          200: z.object({
            attachment: AttachmentJson,
            download_url: z.string().nullable().meta({ description: 'Needs no key; null until the file is uploaded' }),
            download_expires_at: z.string().nullable(),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { id } = parseParams(IdParams, request.params);
      const row = await attachmentOf(request.principal.projectId, id);
      if (row.status !== 'uploaded') return { attachment: attachmentJson(row), download_url: null, download_expires_at: null };
      const { token, expiresMs } = signDownloadToken(deps.signingSecret, { projectId: row.project_id, attachmentId: row.id });
      return {
        attachment: attachmentJson(row),
        download_url: `/v1/attachments/${encodeURIComponent(row.id)}/download?token=${token}`,
        download_expires_at: new Date(expiresMs).toISOString(),
      };
    },
  );

  app.get(
    '/v1/attachments/:id/download',
    {
      schema: {
        summary: 'The file, with a token from GET /v1/attachments/{id} (no key needed)',
        tags,
        params: IdParams,
        querystring: DownloadQuery,
        response: { 200: z.string().meta({ description: "The file's bytes" }), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { id } = parseParams(IdParams, request.params);
      const { token } = parseQuery(DownloadQuery, request.query);
      const projectId = claimedProject(token);
      const check = projectId === undefined ? ({ ok: false, reason: 'malformed' } as const) : verifyDownloadToken(deps.signingSecret, token, { projectId, attachmentId: id });
      if (!check.ok) throw new ApiError('forbidden', `token: ${refusals[check.reason]}; ask GET /v1/attachments/${id} for a new download_url`);
      const row = await attachmentOf(check.grant.projectId, id);
      const opened = row.status === 'uploaded' ? await deps.blobs.open(attachmentBlobKey(row.id)) : undefined;
      if (!opened) throw new ApiError('not_found', `attachment ${id}: its file is not stored`);
      void reply
        .type(servedType(row.content_type))
        .header('content-length', String(opened.size))
        .header('content-disposition', contentDisposition(row.file_name))
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', "default-src 'none'; sandbox")
        .header('cache-control', 'private, no-store');
      // Fastify streams a Readable as it comes; the schema only documents the file.
      return reply.send(opened.stream as unknown as string);
    },
  );

  app.delete(
    '/v1/attachments/:id',
    { config: write, schema: { summary: 'Deletes an attachment (its file is purged 7 days later)', tags, params: IdParams, response: { 204: NoContent, ...errorResponses } } },
    async (request, reply) => {
      const { id } = parseParams(IdParams, request.params);
      if (!(await softDeleteAttachment(db, request.principal.projectId, id))) throw new ApiError('not_found', `attachment ${id} does not exist in this project`);
      return reply.code(204).send(null);
    },
  );
};

/**
 * The project a download token names (`signed-urls.ts`: a base64url JSON
 * payload before the dot). Trusted only as what `verifyDownloadToken` checks
 * the token's MAC against: a forged project fails that check.
 */
function claimedProject(token: string): string | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8'));
    return Array.isArray(value) && typeof value[0] === 'string' ? value[0] : undefined;
  } catch {
    return undefined;
  }
}

/** The stored type when it is one of the inert ones, else a download of bytes. */
export function servedType(contentType: string): string {
  const base = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return inertTypes.has(base) ? base : 'application/octet-stream';
}

/**
 * `attachment` with the name twice (RFC 6266): `filename` in plain ASCII
 * (anything else, quotes, backslashes and separators replaced by `_`) for old
 * clients, and `filename*` with the UTF-8 name percent-encoded.
 */
export function contentDisposition(fileName: string): string {
  const base = fileName.replace(/[/\\]/g, '_').replace(/^\.+/, '_') || 'attachment';
  const ascii = base.replace(/[^\u0020-\u007e]|["\\%;]/g, '_');
  const encoded = encodeURIComponent(base).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
