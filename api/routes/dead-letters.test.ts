import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { defaultPermissions, type Warehouse } from '@strix/contracts';
import { DeadLetterLimits } from '@strix/processors/dead-letters';
import { openStore, seedDeadLetters } from '@strix/testkit/stores';
import { principal, queryApp } from '@strix/testkit/apps';

interface Listed {
  dead_letters: { failed_at: string; reason: string; event_id: string; log: { offset: number }; payload_base64: string; payload_bytes: number; payload_truncated: boolean }[];
}

const letter = (projectId: string, offset: number, failedAt: number, payload = Buffer.from(`{"n":${offset}}`)) => ({
  projectId, appId: 'app', reason: `warehouse refused the event: #${offset}`, eventId: `e${offset}`,
  source: { topic: 'events' as const, partition: 0, offset }, payload, failedAt,
});

describe('GET /v1/dead-letters', () => {
  let wh: Warehouse;
  let close: () => Promise<void>;
  let app: Awaited<ReturnType<typeof queryApp>>;
  const now = Date.now();

  before(async () => {
    ({ wh, close } = await openStore('p1', 'p2'));
    await seedDeadLetters(wh, [letter('p1', 1, now - 2000), letter('p1', 2, now - 1000), letter('p2', 3, now)], 'batch-a');
    // The same batch parked again after a crash: its token keeps one copy.
    await seedDeadLetters(wh, [letter('p1', 1, now - 500)], 'batch-a');
    await seedDeadLetters(wh, [letter('p1', 4, now - 3000, Buffer.alloc(DeadLetterLimits.maxPayloadBytes + 10, 'x'))], 'batch-b');
    app = await queryApp(wh, [
      principal('admin-key', 'agent', [...defaultPermissions.agent, 'projects:write'], 'p1'),
      principal('agent-key', 'agent', [...defaultPermissions.agent], 'p1'),
    ]);
  });
  after(async () => {
    await app.close();
    await close();
  });

  const get = (url: string, key = 'admin-key') => app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key}` } });

  it("lists the project's own letters, newest first, once each", async () => {
    const res = await get('/v1/dead-letters');
    assert.equal(res.statusCode, 200);
    const { dead_letters } = res.json<Listed>();
    assert.deepEqual(dead_letters.map((d) => d.log.offset), [2, 1, 4]);
    assert.equal(dead_letters[0]?.reason, 'warehouse refused the event: #2');
    assert.equal(Buffer.from(dead_letters[0]?.payload_base64 ?? '', 'base64').toString(), '{"n":2}');
    assert.equal(dead_letters[0]?.payload_truncated, false);
  });

  it('keeps at most 64 KiB of a payload and says so', async () => {
    const big = (await get('/v1/dead-letters')).json<Listed>().dead_letters.find((d) => d.log.offset === 4);
    assert.equal(big?.payload_bytes, DeadLetterLimits.maxPayloadBytes + 10);
    assert.equal(Buffer.from(big?.payload_base64 ?? '', 'base64').length, DeadLetterLimits.maxPayloadBytes);
    assert.equal(big?.payload_truncated, true);
  });

  it('takes a limit, named when out of range', async () => {
    assert.equal((await get('/v1/dead-letters?limit=1')).json<Listed>().dead_letters.length, 1);
    const bad = await get('/v1/dead-letters?limit=0');
    assert.equal(bad.statusCode, 400);
    assert.match(bad.json<{ message: string }>().message, /limit: must be at least 1/);
  });

  it('needs projects:write', async () => {
    assert.equal((await get('/v1/dead-letters', 'agent-key')).statusCode, 403);
  });
});
