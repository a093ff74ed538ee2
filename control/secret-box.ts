import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { ControlSql } from './db.ts';

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

/**
 * Checks `master` against the key this control plane's secrets are sealed with (a fingerprint the first process
 * stored); throws, saying what to do, when they differ. Roles split over processes must share one key.
 */
export async function checkMasterKey(db: ControlSql, master: Buffer, at: number): Promise<void> {
  const fingerprint = deriveSecret(master, 'key check').toString('hex');
  await db.query('INSERT INTO master_key_check (id, fingerprint, created_at) VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING', [fingerprint, at]);
  const [row] = await db.query<{ fingerprint: string }>('SELECT fingerprint FROM master_key_check WHERE id = 1');
  if (row?.fingerprint !== fingerprint) {
    throw new Error(
      "this process's master key (STRIX_SECRET_KEY, or secret.key in its data directory) is not the one this deployment's control plane was set up with: give every role the same STRIX_SECRET_KEY (secrets sealed with the other key cannot be opened with this one)",
    );
  }
}
