import type { Platform } from './platform.ts';
import { parseRetryAfter } from './retry.ts';

/** What became of one request, as the delivery loop acts on it. */
export type SendOutcome =
  /** Answered: each item accepted or refused on its own (a 400 listing every item's refusal is this too). */
  | { kind: 'sent'; accepted: number; rejected: number; errors: string[] }
  /** Refused as a whole for good (a bad key, a malformed body): retrying cannot help, the batch goes. */
  | { kind: 'refused'; status: number; message: string }
  /** 413: the batch must be split. */
  | { kind: 'too_large' }
  /** Not delivered now, may be later: the network, a timeout, 408, 429, 5xx. */
  | { kind: 'retry'; status?: number; retryAfterMs?: number; reason: string };

export interface Destination {
  /** Strix's base URL, without a trailing slash. */
  baseUrl: string;
  key: string;
  deviceId: string;
  timeoutMs: number;
}

/** Smaller bodies are not worth a compressor's start-up. */
const compressAbove = 1024;

function headersFor(to: Destination, gzip: boolean): Record<string, string> {
  return {
    authorization: `Bearer ${to.key}`,
    'content-type': 'application/json',
    // The edge's per-device rate limit keys on it; without it every device behind one NAT shares a bucket.
    'x-strix-device-id': to.deviceId,
    ...(gzip && { 'content-encoding': 'gzip' }),
  };
}

async function messageOf(response: Response): Promise<{ text: string; json: unknown }> {
  try {
    const text = await response.text();
    try {
      return { text, json: JSON.parse(text) as unknown };
    } catch {
      return { text, json: undefined };
    }
  } catch {
    return { text: '', json: undefined };
  }
}

/** A batch answer: `{accepted, rejected, errors: [{index, message}]}`. */
function batchAnswer(json: unknown): { accepted: number; rejected: number; errors: string[] } | undefined {
  if (typeof json !== 'object' || json === null) return undefined;
  const body = json as { accepted?: unknown; rejected?: unknown; errors?: unknown };
  if (typeof body.accepted !== 'number' || typeof body.rejected !== 'number') return undefined;
  const errors = Array.isArray(body.errors) ? body.errors.map((e) => String((e as { message?: unknown })?.message ?? e)) : [];
  return { accepted: body.accepted, rejected: body.rejected, errors };
}

/** Classifies an answer by its status: what the delivery loop does next. */
async function outcomeOf(response: Response, nowMs: number): Promise<SendOutcome> {
  const status = response.status;
  const { text, json } = await messageOf(response);
  const answer = batchAnswer(json);
  if (status >= 200 && status < 300) return { kind: 'sent', ...(answer ?? { accepted: 0, rejected: 0, errors: [] }) };
  if (status === 400 && answer) return { kind: 'sent', ...answer };
  if (status === 413) return { kind: 'too_large' };
  if (status === 408 || status === 429 || status >= 500) {
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), nowMs);
    return { kind: 'retry', status, reason: `HTTP ${status}`, ...(retryAfterMs !== undefined && { retryAfterMs }) };
  }
  const message = (json as { message?: unknown } | undefined)?.message;
  return { kind: 'refused', status, message: typeof message === 'string' ? message : text.slice(0, 200) };
}

/**
 * POSTs one JSON body, gzipped when a compressor exists and it is worth it. `keepalive` lets the
 * request outlive the page (page-hide delivery); it skips compression, whose async steps a page
 * being unloaded may never finish, and keepalive bodies are capped at 64 KB anyway.
 */
export async function postJson(platform: Platform, to: Destination, path: string, body: string, options: { keepalive?: boolean } = {}): Promise<SendOutcome> {
  let payload: string | Uint8Array = body;
  let gzip = false;
  if (!options.keepalive && platform.gzip && body.length > compressAbove) {
    try {
      payload = await platform.gzip(body);
      gzip = true;
    } catch {
      // A compressor that fails sends the body as it is.
    }
  }
  const abort = new AbortController();
  const timer = options.keepalive ? undefined : platform.setTimer(() => abort.abort(), to.timeoutMs);
  try {
    const response = await platform.fetch(`${to.baseUrl}${path}`, {
      method: 'POST',
      headers: headersFor(to, gzip),
      body: payload as BodyInit,
      signal: abort.signal,
      credentials: 'omit',
      ...(options.keepalive && { keepalive: true }),
    });
    return await outcomeOf(response, Date.now());
  } catch (error) {
    const reason = abort.signal.aborted ? `no answer within ${to.timeoutMs} ms` : `network: ${(error as Error)?.message ?? String(error)}`;
    return { kind: 'retry', reason };
  } finally {
    if (timer !== undefined) platform.clearTimer(timer);
  }
}

/**
 * The URL a beacon posts to. `sendBeacon` cannot set headers, so the key travels in the query
 * (`strix_key`) and the body as `text/plain`; see README.md for what the server needs to take it.
 */
export function beaconUrl(to: Destination, path: string): string {
  return `${to.baseUrl}${path}?strix_key=${encodeURIComponent(to.key)}`;
}
