import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { assertExactlyOnce, sendUntil } from './load.ts';
import { kill, spawnStrix } from '@strix/testkit/process';

interface Credentials {
  clientKey: string;
  agentKey: string;
}

describe('crash safety', () => {
  it('keeps every acknowledged event exactly once across repeated SIGKILLs', { timeout: 300_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'strix-crash-'));
    const env = { STRIX_DATA_DIR: dir, STRIX_RATE_LIMIT_DEVICE_RPS: '100000' };
    const acked: string[] = [];
    try {
      for (let round = 0; round < 4; round++) {
        const p = await spawnStrix(env);
        const creds = JSON.parse(await readFile(join(dir, 'credentials.json'), 'utf8')) as Credentials;
        const stop = { done: false };
        const sending = sendUntil(p.url, creds.clientKey, `r${round}`, stop, { session: 'crash', name: 'crash_test', mixTrack: true });
        await sleep(600 + round * 250);
        await kill(p, 'SIGKILL');
        stop.done = true;
        acked.push(...(await sending));
      }
      assert.ok(acked.length > 500, `only ${acked.length} events were acknowledged`);

      const p = await spawnStrix(env);
      const creds = JSON.parse(await readFile(join(dir, 'credentials.json'), 'utf8')) as Credentials;
      try {
        // Wait for the processors to drain what the log holds.
        for (let i = 0; i < 300; i++) {
          const metrics = await (await fetch(`${p.url}/metrics`)).text();
          if (/^strix_log_lag_records 0$/m.test(metrics)) break;
          await sleep(100);
        }
        await assertExactlyOnce(p.url, creds.agentKey, acked, 'crash', 'crash_test');
        // The analytics views saw each batch once too.
        const sql = async (query: string) => {
          const res = await fetch(`${p.url}/clickhouse/?query=${encodeURIComponent(query)}`, {
            headers: { authorization: `Basic ${Buffer.from(`analyst:${creds.agentKey}`).toString('base64')}` },
          });
          assert.equal(res.status, 200, await res.clone().text());
          return (await res.text()).trim();
        };
        // (Stored events include some never acknowledged: durable when the server died mid-response.)
        const stored = await sql('SELECT uniqExact(event_id) FROM events');
        assert.equal(await sql('SELECT sum(events) FROM audience_daily'), stored, 'the daily audience view counts each stored event once');
        assert.notEqual(await sql("SELECT count() FROM events WHERE kind = 'track'"), '0');
      } finally {
        await kill(p, 'SIGTERM');
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('keeps control-plane writes acknowledged just before a SIGKILL: a new key, a new app, a revocation, the session', { timeout: 300_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'strix-crash-control-'));
    const env = { STRIX_DATA_DIR: dir };
    let p = await spawnStrix(env);
    try {
      const creds = JSON.parse(await readFile(join(dir, 'credentials.json'), 'utf8')) as Credentials & { projectId: string; signInUrl: string };
      const opened = await fetch(`${p.url}${new URL(creds.signInUrl).pathname}`, { headers: { accept: 'application/json' } });
      assert.equal(opened.status, 200, await opened.clone().text());
      const cookies = new Map(opened.headers.getSetCookie().map((c) => c.split(';')[0]!.split('=') as [string, string]));
      const session = cookies.get('strix_session');
      const csrf = cookies.get('strix_csrf');
      assert.ok(session && csrf, 'the owner link sets the session cookies');
      const signedIn = { cookie: `strix_session=${session}; strix_csrf=${csrf}`, 'x-strix-csrf': csrf };
      const call = (method: string, path: string, body?: object) =>
        fetch(`${p.url}${path}`, { method, headers: { ...signedIn, ...(body && { 'content-type': 'application/json' }) }, ...(body && { body: JSON.stringify(body) }) });
      const keysPath = `/v1/projects/${creds.projectId}/keys`;

      const listed = (await (await call('GET', keysPath)).json()) as { keys: { id: string; type: string; prefix: string }[] };
      const original = listed.keys.find((k) => k.type === 'agent' && creds.agentKey.startsWith(k.prefix));
      assert.ok(original, `the first start's agent key is listed: ${JSON.stringify(listed.keys)}`);
      const agentRes = await call('POST', keysPath, { type: 'agent', name: 'made before the crash' });
      assert.equal(agentRes.status, 201, await agentRes.clone().text());
      const agent = (await agentRes.json()) as { id: string; key: string };
      const appRes = await call('POST', `/v1/projects/${creds.projectId}/apps`, { name: 'Made before the crash', platform: 'backend' });
      assert.equal(appRes.status, 201, await appRes.clone().text());
      const app = (await appRes.json()) as { id: string; client_key: { key: string } };
      const revoked = await call('DELETE', `${keysPath}/${original.id}`);
      assert.equal(revoked.status, 204, await revoked.text());
      // Killed as soon as the last change is acknowledged: only what the control plane made durable before answering is left.
      await kill(p, 'SIGKILL');

      const restartStarted = performance.now();
      p = await spawnStrix(env);
      console.log(`control-plane crash: restart after SIGKILL took ${Math.round(performance.now() - restartStarted)} ms to listen`);

      const asKey = (key: string, path: string, init: RequestInit = {}) =>
        fetch(`${p.url}${path}`, { ...init, headers: { authorization: `Bearer ${key}`, ...(init.body !== undefined && { 'content-type': 'application/json' }) } });
      const events = await asKey(agent.key, '/v1/events?from=0&limit=1');
      assert.equal(events.status, 200, `the agent key made before the crash reads: ${await events.clone().text()}`);
      const ingested = await asKey(app.client_key.key, '/v1/track:batch', {
        method: 'POST',
        body: JSON.stringify({ events: [{ client_event_id: 'after-crash-1', session_id: 'control-crash', user_id: 'u1', name: 'after_crash' }] }),
      });
      assert.equal(ingested.status, 200, `the new app's client key ingests: ${await ingested.clone().text()}`);
      assert.equal(((await ingested.json()) as { accepted: number }).accepted, 1);
      const refused = await asKey(creds.agentKey, '/v1/events?from=0&limit=1');
      assert.equal(refused.status, 401, `the key revoked before the crash stays revoked: ${await refused.clone().text()}`);

      const me = await call('GET', '/v1/me');
      assert.equal(me.status, 200, `the session survives: ${await me.clone().text()}`);
      const teamId = ((await me.json()) as { teams: { id: string }[] }).teams[0]!.id;
      const log = await call('GET', `/v1/audit-log?team_id=${teamId}&project_id=${creds.projectId}&limit=200`);
      assert.equal(log.status, 200, await log.clone().text());
      const entries = ((await log.json()) as { entries: { action: string; target_id: string }[] }).entries;
      assert.ok(entries.some((e) => e.action === 'key.create' && e.target_id === agent.id), 'the audit log lists the key made before the crash');
      assert.ok(entries.some((e) => e.action === 'app.create' && e.target_id === app.id), 'and the app');
      assert.ok(entries.some((e) => e.action === 'key.revoke' && e.target_id === original.id), 'and the revocation');

      // The event sent with the new app's key is stored and read back with the new agent key.
      let stored = 0;
      for (let i = 0; i < 300 && stored === 0; i++) {
        if (i > 0) await sleep(100);
        const page = (await (await asKey(agent.key, '/v1/events?session_id=control-crash&from=0')).json()) as { events: { app_id: string }[] };
        stored = page.events.filter((e) => e.app_id === app.id).length;
      }
      assert.equal(stored, 1, 'the event of the new app is stored under it');
    } finally {
      await kill(p, 'SIGTERM');
      await rm(dir, { recursive: true, force: true });
    }
  });
});
