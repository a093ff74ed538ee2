import { createGunzip, createInflate, type Gunzip, type Inflate } from 'node:zlib';
import type { Readable } from 'node:stream';
import { ApiError } from './errors.ts';

/**
 * Decompresses a request body as it streams in. Fastify's body limit counts the
 * bytes *after* this stream, so a gzip bomb is cut off at the limit (413) rather
 * than inflated into memory.
 */
export function decompressBody(payload: Readable, encoding: string | undefined): Readable {
  const enc = (encoding ?? 'identity').trim().toLowerCase();
  switch (enc) {
    case 'identity':
    case '':
      return payload;
    case 'gzip':
    case 'x-gzip':
      return inflating(payload, createGunzip());
    case 'deflate':
      return inflating(payload, createInflate());
    default:
      throw new ApiError('unsupported_media_type', `content-encoding "${enc}" is not supported; use gzip or none`);
  }
}

function inflating(payload: Readable, inflate: Gunzip | Inflate): Readable {
  // Fastify compares Content-Length with `receivedEncodedLength`: the compressed bytes.
  const counted = inflate as (Gunzip | Inflate) & { receivedEncodedLength: number };
  counted.receivedEncodedLength = 0;
  payload.on('data', (chunk: Buffer) => {
    counted.receivedEncodedLength += chunk.length;
  });
  payload.on('error', (e) => inflate.destroy(e));
  // Fastify stops reading at the limit and destroys this stream; free the source too.
  inflate.on('close', () => payload.destroy());
  return payload.pipe(inflate);
}
