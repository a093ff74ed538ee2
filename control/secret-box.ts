import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/** A key for one purpose, derived from the server's master key (HKDF-SHA256), so no two uses share a key. */
export function deriveSecret(master: Buffer, purpose: string): Buffer {
  if (master.length < 32) throw new Error('the master key must be at least 32 bytes');
  return Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), `strix:${purpose}`, 32));
}

const version = 'v1';

/**
 * Secrets at rest (an integration's API key): AES-256-GCM under a key derived
 * for `purpose`, a random 96-bit IV per value; the purpose is authenticated
 * too, so a value sealed for one use does not open for another.
 */
export class SecretBox {
  private readonly key: Buffer;

  constructor(
    master: Buffer,
    private readonly purpose: string,
  ) {
    this.key = deriveSecret(master, purpose);
  }

  seal(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(this.purpose));
    const sealed = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return `${version}:${Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64url')}`;
  }

  /** The plain text; throws when the value was sealed under another key or changed. */
  open(value: string): string {
    const [v, body] = value.split(':');
    if (v !== version || !body) throw new Error('not a sealed value of this Strix version');
    const raw = Buffer.from(body, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
    decipher.setAAD(Buffer.from(this.purpose));
    decipher.setAuthTag(raw.subarray(12, 28));
    try {
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
    } catch {
      throw new Error('the sealed value does not open with this server\'s key (STRIX_SECRET_KEY differs from the one it was stored with)');
    }
  }
}
