import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { kill, spawnStrix } from '@strix/testkit/process';

describe('npm start', () => {
  it('creates a project and keys on first start and reuses them on the next', { timeout: 120_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'strix-start-'));
    try {
      const first = await spawnStrix({ STRIX_DATA_DIR: dir });
      await kill(first, 'SIGTERM');
      const credentials = JSON.parse(await readFile(join(dir, 'credentials.json'), 'utf8')) as Record<string, string>;
      assert.deepEqual(Object.keys(credentials).sort(), ['agentKey', 'appId', 'clientKey', 'projectId', 'signInUrl']);
      assert.match(first.output(), new RegExp(`created default project ${credentials.projectId}`));
      assert.ok(first.output().includes(credentials.clientKey!), 'the client key is printed');

      const second = await spawnStrix({ STRIX_DATA_DIR: dir });
      try {
        assert.match(second.output(), new RegExp(`using default project ${credentials.projectId}`));
        const res = await fetch(`${second.url}/v1/events`, { headers: { authorization: `Bearer ${credentials.agentKey}` } });
        assert.equal(res.status, 200, 'the saved agent key still works');
      } finally {
        await kill(second, 'SIGTERM');
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses to start on a bad setting and names it', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '..', 'server', 'main.ts')], {
      env: { ...process.env, STRIX_PORT: 'not-a-port' },
      encoding: 'utf8',
    });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /STRIX_PORT="not-a-port"/);
  });
});
