import { createGunzip, createInflate } from 'node:zlib';
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
    case 'x-gzip': {
      const gunzip = createGunzip();
      payload.on('error', (e) => gunzip.destroy(e));
      // Fastify stops reading at the limit and destroys this stream; free the source too.
      gunzip.on('close', () => payload.destroy());
      return payload.pipe(gunzip);
    }
    case 'deflate': {
      const inflate = createInflate();
      payload.on('error', (e) => inflate.destroy(e));
      inflate.on('close', () => payload.destroy());
      return payload.pipe(inflate);
    }
    default:
      throw new ApiError('unsupported_media_type', `content-encoding "${enc}" is not supported; use gzip or none`);
  }
}
