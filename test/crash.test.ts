import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { kill, spawnStrix, type StrixProcess } from './process.ts';

interface Credentials {
  clientKey: string;
  agentKey: string;
}

/** Sends batches until `stop` is set; returns the ids the server acknowledged. */
async function sendUntil(p: StrixProcess, creds: Credentials, prefix: string, stop: { done: boolean }) {
  const acked: string[] = [];
  let batch = 0;
  const worker = async (w: number) => {
    while (!stop.done) {
      const ids = Array.from({ length: 50 }, (_, i) => `${prefix}-${w}-${batch}-${i}`);
      batch++;
      const body = JSON.stringify({
        events: ids.map((id) => ({ client_event_id: id, session_id: 'crash', message: 'crash test', name: 'crash_test' })),
      });
      try {
        const res = await fetch(`${p.url}/v1/ingest`, {
          method: 'POST',
          headers: { authorization: `Bearer ${creds.clientKey}`, 'content-type': 'application/json', 'x-strix-device-id': `w${w}` },
          body,
        });
        if (res.status === 200) acked.push(...ids);
        else await sleep(20);
      } catch {
        return; // the server died mid-request: this batch was never acknowledged
      }
    }
  };
  await Promise.all([0, 1, 2, 3].map(worker));
  return acked;
}

async function fetchJson<T>(url: string, key: string): Promise<T> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${key}` } });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()) as T;
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
        const sending = sendUntil(p, creds, `r${round}`, stop);
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
        const stored = new Map<string, number>();
        let url = `${p.url}/v1/events?session_id=crash&limit=1000`;
        for (;;) {
          const page = await fetchJson<{ events: { event_id: string }[]; next_cursor: string | null }>(url, creds.agentKey);
          for (const e of page.events) stored.set(e.event_id, (stored.get(e.event_id) ?? 0) + 1);
          if (!page.next_cursor) break;
          url = `${p.url}/v1/events?session_id=crash&limit=1000&cursor=${page.next_cursor}`;
        }
        const missing = acked.filter((id) => !stored.has(id));
        assert.deepEqual(missing.slice(0, 5), [], `${missing.length} acknowledged events are missing`);
        const doubled = [...stored].filter(([, n]) => n > 1);
        assert.deepEqual(doubled.slice(0, 5), [], `${doubled.length} events are stored more than once`);

        const { counts } = await fetchJson<{ counts: { name: string; events: number }[] }>(
          `${p.url}/v1/events/counts?name=crash_test`,
          creds.agentKey,
        );
        const counted = counts.reduce((s, c) => s + c.events, 0);
        assert.equal(counted, stored.size, 'the hourly view counts each stored event once');
      } finally {
        await kill(p, 'SIGTERM');
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
