import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { analystQuery, openSecurityStore, type SecurityStore } from './security-fixture.ts';

const slow = 'SELECT count() FROM numbers(100000000000) WHERE sipHash64(number) % 7 = 1';

describe('analyst queries run side by side, stream, and stop with their client', { timeout: 180_000 }, () => {
  let store: SecurityStore;
  let url: string;

  before(async () => {
    store = await openSecurityStore({ maxConcurrentPerKey: 2, maxConcurrent: 4, headBytes: 64 * 1024, limits: { maxResultBytes: 3_000_000, maxExecutionSeconds: 20 } });
    url = await store.app.listen({ host: '127.0.0.1', port: 0 });
  });
  after(async () => store?.close());

  const running = async (projectPrefix: string) =>
    Number((await store.engine.rows<{ n: number }>(`SELECT count() AS n FROM system.processes WHERE startsWith(Settings['log_comment'], '${projectPrefix} ')`))[0]?.n ?? 0);

  it('one project’s long query does not hold up another’s', async () => {
    let slowDone = false;
    const long = analystQuery(store.app, slow, { max_execution_time: '3' }, 'key-p2').then((res) => {
      slowDone = true;
      return res;
    });
    await new Promise((r) => setTimeout(r, 200));
    const quick = await analystQuery(store.app, 'SELECT 1');
    assert.equal(quick.statusCode, 200);
    assert.equal(slowDone, false, 'the quick query answered while the long one still ran');
    const res = await long;
    assert.equal(res.statusCode, 400, 'the long one stopped at its time limit');
    assert.match(res.body, /TIMEOUT_EXCEEDED/);
  });

  it('caps the queries one key runs at once with a 429 naming the cap', async () => {
    const three = await Promise.all([0, 1, 2].map(() => analystQuery(store.app, slow, { max_execution_time: '2' })));
    const statuses = three.map((r) => r.statusCode).sort();
    assert.deepEqual(statuses, [400, 400, 429], JSON.stringify(statuses));
    assert.match(three.find((r) => r.statusCode === 429)?.body ?? '', /at most 2 at once/);
  });

  it('counts output bytes as they stream and stops at the limit', async () => {
    const res = await analystQuery(store.app, 'SELECT number, toString(number) FROM numbers(10000000)');
    assert.equal(res.statusCode, 200, 'the status went out with the first bytes');
    assert.ok(res.rawPayload.length <= 3_000_000 + 500, `${res.rawPayload.length} bytes sent`);
    assert.match(res.body.slice(-300), /Code: 396\..*larger than 3000000 bytes/);
    const lowered = await analystQuery(store.app, 'SELECT number FROM numbers(3000)', { max_result_bytes: '1000' });
    assert.equal(lowered.statusCode, 400, 'over a limit the client lowered, within the first bytes: a plain error');
    assert.match(lowered.body, /larger than 1000 bytes/);
  });

  it('kills a query whose client went away', async () => {
    const req = request(`${url}/clickhouse/?query=${encodeURIComponent(slow)}`, { method: 'GET', headers: { 'x-clickhouse-user': 'a', 'x-clickhouse-key': 'key-p1' } });
    req.on('error', () => undefined);
    req.end();
    let seen = 0;
    for (let i = 0; i < 50 && seen === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      seen = await running('p1');
    }
    assert.equal(seen, 1, 'the query started');
    req.destroy();
    let left = seen;
    for (let i = 0; i < 50 && left !== 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      left = await running('p1');
    }
    assert.equal(left, 0, 'the engine no longer runs it (its time limit is 20 s)');
  });
});
