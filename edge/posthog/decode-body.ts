import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { ApiError } from '@strix/http';
import { decompressLz64 } from './lz64.ts';

const gunzipAsync = promisify(gunzip);

/**
 * How PostHog SDKs encode a body, named by a `compression` query parameter (or form field):
 * `gzip-js` (posthog-js: a gzip body sent as text/plain, without Content-Encoding, so a
 * browser sends it without a CORS preflight), `gzip`, `base64` and `lz64`
 * (`LZString.compressToBase64`, older posthog-js). posthog-node sends `Content-Encoding: gzip`,
 * which the HTTP layer decompresses before this.
 */
export const compressions = ['gzip-js', 'gzip', 'base64', 'lz64'] as const;
type Compression = (typeof compressions)[number];

const isCompression = (value: string): value is Compression => (compressions as readonly string[]).includes(value);

function compressionOf(raw: string | undefined | null, where: string): Compression | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  const value = raw.trim().toLowerCase();
  if (!isCompression(value)) throw new ApiError('bad_request', `${where} compression: must be one of ${compressions.join(', ')}`);
  return value;
}

const tooLarge = (limitBytes: number) => new ApiError('payload_too_large', `request body exceeds the limit of ${limitBytes} bytes (after decompression)`);

/** gzip's magic bytes: posthog-js drops `compression=gzip-js` from the URL when its body is gzip, so the body says it. */
const isGzip = (body: Buffer) => body.length >= 2 && body[0] === 0x1f && body[1] === 0x8b;

async function gunzipBounded(body: Buffer, limitBytes: number): Promise<string> {
  try {
    return (await gunzipAsync(body, { maxOutputLength: limitBytes })).toString('utf8');
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(limitBytes);
    throw new ApiError('bad_request', 'request body is not valid gzip');
  }
}

/** Base64 as forms carry it: a `+` the client did not percent-encode arrives as a space. */
const fromBase64 = (text: string) => Buffer.from(text.replace(/ /g, '+'), 'base64').toString('utf8');

function lz64(text: string, limitBytes: number): string {
  const decoded = decompressLz64(text.trim(), limitBytes);
  if ('refused' in decoded) {
    if (decoded.refused === 'too large') throw tooLarge(limitBytes);
    throw new ApiError('bad_request', 'request body is not valid lz64 (LZString.compressToBase64)');
  }
  // The bound counted characters; a character is one to three bytes.
  if (Buffer.byteLength(decoded.text) > limitBytes) throw tooLarge(limitBytes);
  return decoded.text;
}

/** A form's `data` field: lz64 or base64 as named; unnamed, base64 unless it already reads as JSON (older clients name neither). */
function formData(data: string, compression: Compression | undefined, limitBytes: number): string {
  if (compression === 'lz64') return lz64(data, limitBytes);
  if (compression === 'base64' || !/^\s*[[{]/.test(data)) return fromBase64(data);
  return data;
}

/**
 * The JSON a PostHog SDK sent, whatever its encoding: JSON (`application/json`, or `text/plain` from
 * `sendBeacon`), a form with `data=<base64 JSON>`, or a compressed body. Every decompression is bounded
 * by `limitBytes` (the ingest body limit, so a small body cannot inflate past what a plain one may
 * carry). `undefined` for an empty body; a 400 naming the problem otherwise.
 */
export async function decodeCaptureBody(
  body: Buffer | undefined,
  contentType: string | undefined,
  queryCompression: string | undefined,
  limitBytes: number,
): Promise<unknown> {
  if (body === undefined || body.length === 0) return undefined;
  let compression = compressionOf(queryCompression, 'query parameter');
  let text: string;
  const mediaType = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (mediaType === 'application/x-www-form-urlencoded') {
    const form = new URLSearchParams(body.toString('utf8'));
    compression = compressionOf(form.get('compression'), 'form field') ?? compression;
    const data = form.get('data');
    if (data === null) throw new ApiError('bad_request', 'form field data: is required (data=<base64 JSON>)');
    text = formData(data, compression, limitBytes);
  } else if (compression === 'gzip-js' || compression === 'gzip' || isGzip(body)) {
    text = await gunzipBounded(body, limitBytes);
  } else if (compression === 'lz64') {
    text = lz64(body.toString('latin1'), limitBytes);
  } else if (compression === 'base64') {
    text = fromBase64(body.toString('latin1'));
  } else {
    text = body.toString('utf8');
  }
  return parsed(text, compression, 'request body');
}

/**
 * The JSON of a capture sent by GET, in the `data` query parameter (base64 or lz64, as a form's
 * `data` field is), as image-pixel and older clients send it.
 */
export function decodeCaptureData(data: string, queryCompression: string | undefined, limitBytes: number): unknown {
  const compression = compressionOf(queryCompression, 'query parameter');
  if (compression === 'gzip' || compression === 'gzip-js') throw new ApiError('bad_request', `query parameter compression: ${compression} cannot travel in a URL; send it as a POST body`);
  return parsed(formData(data, compression, limitBytes), compression, 'query parameter data');
}

function parsed(text: string, compression: Compression | undefined, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const how = compression ? ` (after ${compression} decoding)` : '';
    throw new ApiError('bad_request', `${what} is not valid JSON${how}: ${(error as Error).message}`);
  }
}
