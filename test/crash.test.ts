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
});
