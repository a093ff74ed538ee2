/**
 * Short-lived download tokens for attachments: whoever may read a project's
 * issues asks for one, and the download URL carries it, so the file itself is
 * fetched without a session or key (a browser link, an agent's plain GET).
 *
 * A token is `<payload>.<mac>`, both base64url: the payload names the project,
 * the attachment and the expiry; the mac is HMAC-SHA256 over it with the
 * caller's secret. Nothing is stored; a token stops working when it expires.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const downloadTokenDefaultTtlMs = 5 * 60_000;
/** Tokens are for a download that starts now, not for sharing: an hour at most. */
export const downloadTokenMaxTtlMs = 60 * 60_000;
const minSecretBytes = 32;
const maxTokenChars = 2048;
const macBytes = 32;
// Keeps these MACs apart from any other use of the same secret.
const purpose = 'strix attachment download v1\n';

export interface DownloadGrant {
  readonly projectId: string;
  readonly attachmentId: string;
  /** Epoch ms; the token is refused from this instant on. */
  readonly expiresMs: number;
}

export type DownloadTokenRefusal = 'malformed' | 'tampered' | 'other_project' | 'other_attachment' | 'expired';

export type DownloadTokenCheck = { readonly ok: true; readonly grant: DownloadGrant } | { readonly ok: false; readonly reason: DownloadTokenRefusal };

export function signDownloadToken(
  secret: string | Uint8Array,
  target: { projectId: string; attachmentId: string },
  options: { nowMs?: number; ttlMs?: number } = {},
): { token: string; expiresMs: number } {
  const ttlMs = options.ttlMs ?? downloadTokenDefaultTtlMs;
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0 || ttlMs > downloadTokenMaxTtlMs) {
    throw new RangeError(`download token lifetime: must be 1 to ${downloadTokenMaxTtlMs} ms, got ${ttlMs}`);
  }
  const key = secretKey(secret);
  const expiresMs = (options.nowMs ?? Date.now()) + ttlMs;
  const payload = Buffer.from(JSON.stringify([target.projectId, target.attachmentId, expiresMs])).toString('base64url');
  return { token: `${payload}.${mac(key, payload).toString('base64url')}`, expiresMs };
}

/**
 * Checks a token presented for `expected.projectId` (and the attachment, when
 * the URL names one). Refusals are returned with their reason: a forged or
 * altered token is `tampered`; a genuine one is checked for its project, its
 * attachment and its expiry, in that order.
 */
export function verifyDownloadToken(
  secret: string | Uint8Array,
  token: string,
  expected: { projectId: string; attachmentId?: string },
  nowMs = Date.now(),
): DownloadTokenCheck {
  const key = secretKey(secret);
  const refuse = (reason: DownloadTokenRefusal): DownloadTokenCheck => ({ ok: false, reason });
  const parts = token.length <= maxTokenChars ? token.split('.') : [];
  const [payload, signature] = parts;
  if (parts.length !== 2 || !payload || !signature || !/^[A-Za-z0-9_-]+$/.test(payload + signature)) return refuse('malformed');
  const presented = Buffer.from(signature, 'base64url');
  if (presented.length !== macBytes || presented.toString('base64url') !== signature) return refuse('malformed');
  if (!timingSafeEqual(presented, mac(key, payload))) return refuse('tampered');

  const grant = parseGrant(Buffer.from(payload, 'base64url').toString('utf8'));
  if (!grant) return refuse('malformed');
  if (grant.projectId !== expected.projectId) return refuse('other_project');
  if (expected.attachmentId !== undefined && grant.attachmentId !== expected.attachmentId) return refuse('other_attachment');
  if (nowMs >= grant.expiresMs) return refuse('expired');
  return { ok: true, grant };
}

function secretKey(secret: string | Uint8Array): Uint8Array {
  const key = typeof secret === 'string' ? Buffer.from(secret) : secret;
  if (key.byteLength < minSecretBytes) throw new RangeError(`download token secret: must be at least ${minSecretBytes} bytes`);
  return key;
}

function mac(key: Uint8Array, payload: string): Buffer {
  return createHmac('sha256', key).update(purpose).update(payload).digest();
}

function parseGrant(json: string): DownloadGrant | undefined {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (!Array.isArray(value) || value.length !== 3) return undefined;
  const [projectId, attachmentId, expiresMs] = value as unknown[];
  if (typeof projectId !== 'string' || typeof attachmentId !== 'string' || !Number.isSafeInteger(expiresMs)) return undefined;
  return { projectId, attachmentId, expiresMs: expiresMs as number };
}
