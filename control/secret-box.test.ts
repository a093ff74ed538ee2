import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { openTestControl } from '@strix/testkit/control';
import type { ControlPlane } from './control-plane.ts';
import { SecretBox, checkMasterKey } from './secret-box.ts';

describe('secrets at rest under the master key', () => {
  let control: ControlPlane;
  before(async () => {
    control = await openTestControl();
  });
  after(() => control.close());

  it('opens a value with the key and purpose it was sealed with only', () => {
    const master = randomBytes(32);
    const sealed = new SecretBox(master, 'api keys').seal('sk_secret');
    assert.equal(new SecretBox(master, 'api keys').open(sealed), 'sk_secret');
    assert.notEqual(new SecretBox(master, 'api keys').seal('sk_secret'), sealed, 'a fresh IV per value');
    assert.throws(() => new SecretBox(master, 'webhooks').open(sealed), /does not open with this server's key/);
    assert.throws(() => new SecretBox(randomBytes(32), 'api keys').open(sealed), /STRIX_SECRET_KEY differs/);
  });

  it('lets every process with the deployment’s key start, and refuses one given another key', async () => {
    const master = randomBytes(32);
    await checkMasterKey(control.db, master, 1);
    await checkMasterKey(control.db, Buffer.from(master), 2);
    await assert.rejects(checkMasterKey(control.db, randomBytes(32), 3), /^Error: this process's master key .* give every role the same STRIX_SECRET_KEY/);
    const [row] = await control.db.query<{ fingerprint: string }>('SELECT fingerprint FROM master_key_check');
    assert.ok(row && !row.fingerprint.includes(master.toString('hex')), 'the key itself is not stored');
  });
});
