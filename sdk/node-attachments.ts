import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { Readable } from 'node:stream';
import type { Attachment } from './api.ts';
import type { AttachmentUploader } from './attachment-queue.ts';
import type { Destination } from './transport.ts';

/** The server's limit per file (100 MiB): larger files are refused before a byte is read. */
const maxAttachmentBytes = 100 * 1024 * 1024;

const typesByExtension: Record<string, string> = {
  '.txt': 'text/plain',
  '.log': 'text/plain',
  '.csv': 'text/csv',
  '.json': 'application/json',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.pdf': 'application/pdf',
};

interface FileToSend {
  name: string;
  size: number;
  sha256: string;
  contentType: string;
  /** A fresh body each call: the hash pass and the upload each read the file. */
  body: () => BodyInit;
}

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** An attachment's name, size, hash and bytes; files are streamed, never held whole. */
async function describe(attachment: Attachment): Promise<FileToSend> {
  if ('path' in attachment) {
    const { size } = await stat(attachment.path);
    if (size > maxAttachmentBytes) throw new Error(`${attachment.path}: ${size} bytes, more than the 100 MiB an attachment may be`);
    const name = attachment.name ?? basename(attachment.path);
    return {
      name,
      size,
      sha256: await sha256OfFile(attachment.path),
      contentType: attachment.content_type ?? typesByExtension[extname(name).toLowerCase()] ?? 'application/octet-stream',
      body: () => Readable.toWeb(createReadStream(attachment.path)) as unknown as BodyInit,
    };
  }
  const data = attachment.data;
  if (data.byteLength > maxAttachmentBytes) throw new Error(`${attachment.name}: ${data.byteLength} bytes, more than the 100 MiB an attachment may be`);
  return {
    name: attachment.name,
    size: data.byteLength,
    sha256: createHash('sha256').update(data).digest('hex'),
    contentType: attachment.content_type ?? typesByExtension[extname(attachment.name).toLowerCase()] ?? 'application/octet-stream',
    body: () => data as unknown as BodyInit,
  };
}

async function failure(response: Response): Promise<string> {
  const text = await response.text().catch(() => '');
  try {
    return `HTTP ${response.status} ${(JSON.parse(text) as { message?: string }).message ?? text}`;
  } catch {
    return `HTTP ${response.status} ${text.slice(0, 200)}`;
  }
}

/** Reserves room for one file (the server checks quotas before any byte), then streams it with PUT. */
async function uploadOne(file: FileToSend, owner: { clientEventId: string; userId: string | undefined }, to: Destination): Promise<string | undefined> {
  const headers = { authorization: `Bearer ${to.key}`, 'x-strix-device-id': to.deviceId };
  const reserved = await fetch(`${to.baseUrl}/v1/ingest/attachment`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({
      file_name: file.name.slice(0, 255),
      size: file.size,
      sha256: file.sha256,
      content_type: file.contentType,
      client_event_id: owner.clientEventId,
      user_id: owner.userId ?? '',
    }),
    signal: AbortSignal.timeout(to.timeoutMs),
  });
  if (!reserved.ok) return `attachment ${file.name}: reserve: ${await failure(reserved)}`;
  const { upload_url } = (await reserved.json()) as { upload_url: string };
  const uploaded = await fetch(`${to.baseUrl}${upload_url}`, {
    method: 'PUT',
    headers: { ...headers, 'content-type': file.contentType },
    body: file.body(),
    duplex: 'half',
  } as RequestInit);
  return uploaded.ok ? undefined : `attachment ${file.name}: upload: ${await failure(uploaded)}`;
}

/** Node's attachment uploads: one file at a time, each failure counted, none thrown. */
export const uploadAttachments: AttachmentUploader = async (attachments, owner, to) => {
  let uploaded = 0;
  let failed = 0;
  let lastError: string | undefined;
  for (const attachment of attachments) {
    try {
      const error = await uploadOne(await describe(attachment), owner, to);
      if (error === undefined) uploaded++;
      else {
        failed++;
        lastError = error;
      }
    } catch (error) {
      failed++;
      lastError = `attachment: ${(error as Error)?.message ?? String(error)}`;
    }
  }
  return { uploaded, failed, ...(lastError !== undefined && { lastError }) };
};
