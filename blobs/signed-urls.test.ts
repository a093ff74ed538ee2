import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { downloadTokenDefaultTtlMs, downloadTokenMaxTtlMs, signDownloadToken, verifyDownloadToken, type DownloadTokenRefusal } from './signed-urls.ts';

const secret = randomBytes(32);
const t0 = Date.UTC(2026, 0, 5, 9);
const target = { projectId: 'project-1', attachmentId: '3f2a9c1e-0000-4000-8000-000000000001' };

const refusal = (token: string, expected: { projectId: string; attachmentId?: string } = target, now = t0 + 1000, key: string | Uint8Array = secret): DownloadTokenRefusal | 'ok' => {
  const check = verifyDownloadToken(key, token, expected, now);
  return check.ok ? 'ok' : check.reason;
};

describe('signed download tokens', () => {
  it('grant their project and attachment until they expire, five minutes by default', () => {
    const { token, expiresMs } = signDownloadToken(secret, target, { nowMs: t0 });
    assert.equal(expiresMs, t0 + downloadTokenDefaultTtlMs);
    assert.match(token, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/, 'URL-safe as it is');
    assert.deepEqual(verifyDownloadToken(secret, token, target, t0), { ok: true, grant: { ...target, expiresMs } });
    assert.equal(refusal(token, { projectId: target.projectId }, expiresMs - 1), 'ok', 'the attachment may come from the token alone');
    assert.equal(refusal(token, target, expiresMs), 'expired');
    assert.equal(refusal(token, target, expiresMs + 3600_000), 'expired');

    const short = signDownloadToken(secret, target, { nowMs: t0, ttlMs: 1000 });
    assert.equal(refusal(short.token, target, t0 + 999), 'ok');
    assert.equal(refusal(short.token, target, t0 + 1000), 'expired');
  });

  it("refuses another project's token, or one for another attachment, even when genuine", () => {
    const { token } = signDownloadToken(secret, target, { nowMs: t0 });
    assert.equal(refusal(token, { projectId: 'project-2' }), 'other_project');
    assert.equal(refusal(token, { projectId: 'project-2', attachmentId: target.attachmentId }), 'other_project');
    assert.equal(refusal(token, { ...target, attachmentId: 'another' }), 'other_attachment');
    // Ids are not split on any separator: a project id cannot be made to spill into the attachment's.
    const tricky = signDownloadToken(secret, { projectId: 'p.1', attachmentId: 'a' }, { nowMs: t0 });
    assert.equal(refusal(tricky.token, { projectId: 'p' }), 'other_project');
  });

  it('refuses a token altered in any byte, forged with another secret, or made up', () => {
    const { token } = signDownloadToken(secret, target, { nowMs: t0 });
    const [payload, mac] = token.split('.') as [string, string];
    // A longer life, another project, another attachment: each a valid payload with the old mac.
    for (const forged of [
      { ...target, expiresMs: t0 + 365 * 86_400_000 },
      { projectId: 'project-2', attachmentId: target.attachmentId, expiresMs: t0 + downloadTokenDefaultTtlMs },
      { ...target, attachmentId: 'another', expiresMs: t0 + downloadTokenDefaultTtlMs },
    ]) {
      const forgedPayload = Buffer.from(JSON.stringify([forged.projectId, forged.attachmentId, forged.expiresMs])).toString('base64url');
      assert.equal(refusal(`${forgedPayload}.${mac}`, { projectId: forged.projectId }), 'tampered');
    }
    for (let i = 0; i < token.length; i++) {
      if (token[i] === '.') continue;
      const flipped = token.slice(0, i) + (token[i] === 'A' ? 'B' : 'A') + token.slice(i + 1);
      assert.notEqual(refusal(flipped), 'ok', `byte ${i} altered`);
    }
    assert.equal(refusal(signDownloadToken(randomBytes(32), target, { nowMs: t0 }).token), 'tampered');
    assert.equal(refusal(token, target, t0 + 1000, randomBytes(32)), 'tampered');

    for (const made of ['', '.', 'abc', `${payload}.`, `.${mac}`, `${payload}.${mac}.x`, `${payload}.${mac}=`, `${payload}.${mac.slice(1)}`, `${payload}+.${mac}`, 'x'.repeat(5000)]) {
      assert.equal(refusal(made), 'malformed', made.slice(0, 40));
    }
  });

  it('needs a secret of at least 32 bytes and a lifetime of at most an hour', () => {
    assert.throws(() => signDownloadToken(randomBytes(16), target), /secret: must be at least 32 bytes/);
    assert.throws(() => verifyDownloadToken('short', 'a.b', target), /secret: must be at least 32 bytes/);
    assert.throws(() => signDownloadToken(secret, target, { ttlMs: downloadTokenMaxTtlMs + 1 }), /lifetime: must be 1 to 3600000 ms/);
    assert.throws(() => signDownloadToken(secret, target, { ttlMs: 0 }), /lifetime/);
    assert.equal(refusal(signDownloadToken('a secret of thirty-two bytes, ok', target, { nowMs: t0 }).token, target, t0, 'a secret of thirty-two bytes, ok'), 'ok');
  });
});
