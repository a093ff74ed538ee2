import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadSecretKey } from './secret-key.ts';

describe('the master key', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strix-secret-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('is generated once into the data directory (owner-only), and the same key is read at every start', async () => {
    const config = { dataDir: dir, secretKeyHex: undefined, role: 'all' as const };
    const [a, b] = await Promise.all([loadSecretKey(config), loadSecretKey(config)]);
    assert.equal(a.length, 32);
    assert.deepEqual(b, a, 'two starts at once agree on one key');
    assert.deepEqual(await loadSecretKey(config), a);
    assert.equal((await stat(join(dir, 'secret.key'))).mode & 0o777, 0o600);
    assert.equal((await readFile(join(dir, 'secret.key'), 'utf8')).trim(), a.toString('hex'));
  });

  it('takes STRIX_SECRET_KEY over the file, and refuses a file that holds no whole key', async () => {
    const given = 'ab'.repeat(32);
    assert.equal((await loadSecretKey({ dataDir: dir, secretKeyHex: given, role: 'all' })).toString('hex'), given);
    const broken = await mkdtemp(join(tmpdir(), 'strix-secret-'));
    await writeFile(join(broken, 'secret.key'), 'abcd\n');
    await assert.rejects(loadSecretKey({ dataDir: broken, secretKeyHex: undefined, role: 'all' }), /does not hold a 32-byte key/);
    await rm(broken, { recursive: true, force: true });
  });
});
