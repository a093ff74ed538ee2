import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { kill, spawnStrix } from '@strix/testkit/process';

const runningAsRoot = process.getuid?.() === 0;
const skip = runningAsRoot ? false : 'needs to run as root (uid 0) to see the refusal; this run is not root';

describe('running as root', () => {
  it('refuses to start as root without STRIX_ALLOW_ROOT=1, says why and what to do, and opens nothing', { skip }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'strix-root-'));
    try {
      const env: NodeJS.ProcessEnv = { ...process.env, STRIX_DATA_DIR: join(dir, 'data'), STRIX_PORT: '0', STRIX_HOST: '127.0.0.1' };
      delete env.STRIX_ALLOW_ROOT;
      for (const allow of [undefined, '0']) {
        const result = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '..', 'server', 'main.ts')], {
          env: allow === undefined ? env : { ...env, STRIX_ALLOW_ROOT: allow },
          encoding: 'utf8',
          timeout: 60_000,
        });
        assert.equal(result.status, 1, `STRIX_ALLOW_ROOT=${allow}: ${result.stdout}${result.stderr}`);
        assert.match(result.stderr, /refuses to run as root: analysts' SQL/);
        assert.match(result.stderr, /run Strix as an ordinary user/i);
        assert.match(result.stderr, /set STRIX_ALLOW_ROOT=1 to accept the risk/);
        assert.doesNotMatch(result.stdout, /listening/);
      }
      assert.deepEqual(await readdir(dir), [], 'no data directory was created');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('starts as root with STRIX_ALLOW_ROOT=1', { skip }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'strix-root-'));
    try {
      const strix = await spawnStrix({ STRIX_DATA_DIR: dir, STRIX_ALLOW_ROOT: '1' });
      await kill(strix, 'SIGTERM');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
