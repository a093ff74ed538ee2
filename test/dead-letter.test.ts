import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Topics } from '@strix/contracts';
import { event, ingest, query, startHarness, type Harness } from './harness.ts';

describe('poison records', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => h.close());

  it('go to the dead-letter topic with their reason while processing continues', async () => {
    await h.log.append(Topics.events, [
      { key: 'p', value: Buffer.from('{not json') },
      { key: 'p', value: Buffer.from(JSON.stringify({ v: 1, project_id: 'p', events: 'nope' })) },
    ]);
    const name = `after-poison-${Date.now()}`;
    assert.equal((await ingest(h, { events: [event({ name })] })).statusCode, 200);
    await h.strix.drained();

    const list = (await query(h, `/v1/events?name=${name}`)).json<{ events: unknown[] }>();
    assert.equal(list.events.length, 1, 'the good record behind the poison ones was processed');

    const dlq = await h.log.consumer(Topics.dlq, 'test-reader');
    const letters = await dlq.poll({ maxRecords: 10, maxWaitMs: 1000 });
    await dlq.close();
    const reasons = letters.map((r) => (JSON.parse(r.value.toString()) as { reason: string }).reason);
    assert.equal(reasons.length, 2);
    assert.match(reasons[0]!, /not valid JSON/);
    assert.match(reasons[1]!, /does not match the event batch schema/);
    const metrics = (await h.strix.app.inject('/metrics')).body;
    assert.match(metrics, /^strix_dlq_size_records 2$/m);
  });
});
