/**
 * Analysts' ClickHouse tools against embedded Strix: the real @clickhouse/client
 * over HTTP to /clickhouse, authenticated with an agent key.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { kill, spawnStrix, type StrixProcess } from '@strix/testkit/process';

describe('the ClickHouse-compatible SQL endpoint of embedded Strix', { timeout: 120_000 }, () => {
  let dir: string;
  let strix: StrixProcess;
  let client: ClickHouseClient;
  let creds: { projectId: string; clientKey: string; agentKey: string };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strix-sql-'));
    strix = await spawnStrix({ STRIX_DATA_DIR: dir });
    creds = JSON.parse(await readFile(join(dir, 'credentials.json'), 'utf8')) as typeof creds;
    const res = await fetch(`${strix.url}/v1/ingest`, {
      method: 'POST',
      headers: { authorization: `Bearer ${creds.clientKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ events: ['a', 'b', 'c'].map((u) => ({ message: 'signed up', name: 'signup', user_id: u, session_id: 'sql' })) }),
    });
    assert.equal(res.status, 200);
    client = createClient({ url: strix.url, pathname: '/clickhouse', username: 'analyst', password: creds.agentKey });
  });

  after(async () => {
    await client?.close();
    if (strix) await kill(strix, 'SIGTERM');
    await rm(dir, { recursive: true, force: true });
  });

  it('answers an analyst query scoped to the key’s project', async () => {
    let rows: { name: string; users: string }[] = [];
    for (let i = 0; i < 100 && rows.length === 0; i++) {
      const result = await client.query({ query: "SELECT name, uniqExact(user_id) AS users FROM events WHERE session_id = 'sql' GROUP BY name", format: 'JSONEachRow' });
      rows = await result.json();
      if (rows.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(rows, [{ name: 'signup', users: '3' }]);
    const tsv = await client.query({ query: 'SELECT DISTINCT project_id FROM events', format: 'TabSeparated' });
    assert.equal((await tsv.text()).trim(), creds.projectId);
  });

  it('refuses writes and unknown keys', async () => {
    await assert.rejects(client.command({ query: 'DROP TABLE events' }), /readonly|not allowed|only/i);
    const stranger = createClient({ url: strix.url, pathname: '/clickhouse', username: 'x', password: 'strix_agent_nope' });
    await assert.rejects(stranger.query({ query: 'SELECT 1' }), /auth|password|516/i);
    await stranger.close();
    const clientKey = createClient({ url: strix.url, pathname: '/clickhouse', username: 'x', password: creds.clientKey });
    await assert.rejects(clientKey.query({ query: 'SELECT 1' }), /auth|password|516/i, 'a client (ingest) key cannot read');
    await clientKey.close();
  });
});
