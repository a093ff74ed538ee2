import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Topics } from '@strix/contracts';
import { event, ingest, post, query, startHarness, type Harness } from '@strix/testkit/harness';

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

/** A lone surrogate in each place a client's text can reach, per endpoint. */
const poisonedItems: { url: string; field: 'events' | 'points'; item: Record<string, unknown>; path: string }[] = [
  { url: '/v1/ingest', field: 'events', item: event({ message: 'bad \ud800' }), path: 'events[1].message' },
  { url: '/v1/ingest', field: 'events', item: event({ attributes: { ['k\udc00']: 'v' } }), path: 'events[1].attributes["k\\udc00"]' },
  { url: '/v1/ingest', field: 'events', item: event({ attributes: { k: '\udbff' } }), path: 'events[1].attributes.k' },
  { url: '/v1/ingest', field: 'events', item: event({ session_id: '\ud800x' }), path: 'events[1].session_id' },
  { url: '/v1/ingest', field: 'events', item: event({ $set: { plan: '\ud800' } }), path: 'events[1].$set.plan' },
  { url: '/v1/ingest', field: 'events', item: event({ exception: { type: 'E', stacktrace: { frames: [{ function: '\udfff' }] } } }), path: 'events[1].exception.stacktrace.frames[0].function' },
  { url: '/v1/track:batch', field: 'events', item: { name: 'cart.add', props: { ['\ud800']: 1 } }, path: 'events[1].props["\\ud800"]' },
  { url: '/v1/track:batch', field: 'events', item: { name: '$pageview', path: '/a/\ud800' }, path: 'events[1].path' },
  { url: '/v1/track:batch', field: 'events', item: { name: 'x', experiments: { ['exp\ud800']: 'a' } }, path: 'events[1].experiments["exp\\ud800"]' },
  { url: '/v1/metrics:batch', field: 'points', item: { name: 'load\ud800', value: 1 }, path: 'points[1].name' },
  { url: '/v1/metrics:batch', field: 'points', item: { name: 'load', value: 1, tags: { screen: 'a\udc00' } }, path: 'points[1].tags.screen' },
];

const goodItem = (field: 'events' | 'points', url: string) =>
  field === 'points' ? { name: 'load', value: 3 } : url === '/v1/ingest' ? event() : { name: 'cart.view' };

interface IngestAnswer {
  accepted: number;
  rejected: number;
  errors: { index: number; message: string }[];
}

/** One log record of events as the edge writes it, built by hand to get past the edge. */
function batchRecord(projectId: string, events: Record<string, unknown>[], retentionDays = 30): { key: string; value: Buffer } {
  const now = Date.now();
  const record = { v: 1, project_id: projectId, app_id: 'app-direct', retention_days: retentionDays, received_at: now, events: events.map((e) => ({ ts: now, level: 'info', is_dev: false, ...e })) };
  return { key: `${projectId}:`, value: Buffer.from(JSON.stringify(record)) };
}

describe('text that is not well-formed Unicode', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => h.close());

  it('is refused at the edge per item, naming the field, on every batch endpoint', async () => {
    for (const { url, field, item, path } of poisonedItems) {
      const res = await post(h, url, { [field]: [goodItem(field, url), item] });
      assert.equal(res.statusCode, 200, `${url} ${path}: ${res.body}`);
      const answer = res.json<IngestAnswer>();
      assert.deepEqual([answer.accepted, answer.rejected], [1, 1], `${url} ${path}`);
      assert.equal(answer.errors[0]?.index, 1);
      assert.ok(answer.errors[0]?.message.startsWith(`${path}: `), `${answer.errors[0]?.message} names ${path}`);
      assert.match(answer.errors[0]?.message ?? '', /well-formed Unicode/);
      const alone = await post(h, url, { [field]: [item] });
      assert.equal(alone.statusCode, 400, `${url} ${path} alone`);
    }
    await h.strix.drained();
    assert.equal((await h.strix.app.inject('/readyz')).statusCode, 200);
  });

  it('written to the log past the edge, is stored as U+FFFD; an event the warehouse refuses is dead-lettered alone, the rest stored once', async () => {
    const project = h.credentials.projectId;
    const run = `direct-${Date.now()}`;
    const id = (n: string) => `${run}-${n}`;
    // The warehouse writes text as UTF-8, as the distributed deployment does: a lone
    // surrogate past the edge becomes U+FFFD. A retention past UInt16 it refuses.
    const odd = [
      { event_id: id('odd-message'), message: 'lone \ud800 surrogate', session_id: run },
      { event_id: id('odd-key'), message: 'm', session_id: run, attributes: { ['k\ud800']: 'v' } },
    ];
    const refused = [
      { event_id: id('refused-1'), message: 'm', session_id: run },
      { event_id: id('refused-2'), message: 'm', session_id: run, user_id: 'u1' },
    ];
    const fine = (n: number) => ({ event_id: id(`ok-${n}`), message: `fine ${n}`, session_id: run });
    await h.log.append(Topics.events, [
      batchRecord(project, [fine(1), odd[0]!, fine(2), odd[1]!, fine(3)]),
      batchRecord('other-project', [{ ...fine(4), event_id: id('other-1') }]),
      batchRecord(project, refused, 70_000),
      batchRecord(project, [fine(5)]),
    ]);
    await h.strix.drained();
    // Events arriving afterwards, from this project through the edge and from another one.
    assert.equal((await ingest(h, { events: [event({ session_id: run, name: `${run}-later` })] })).statusCode, 200);
    await h.log.append(Topics.events, [batchRecord('other-project', [{ ...fine(6), event_id: id('other-2') }])]);
    await h.strix.drained();

    const stored = await h.strix.warehouse.query<{ project_id: string; event_id: string; copies: string }>(
      `SELECT project_id, event_id, count() AS copies FROM events WHERE session_id = {run:String} GROUP BY project_id, event_id ORDER BY event_id`,
      { run },
    );
    assert.deepEqual(
      stored.filter((r) => r.event_id.startsWith(run)).map((r) => [r.project_id, r.event_id.slice(run.length + 1), Number(r.copies)]),
      [
        [project, 'odd-key', 1], [project, 'odd-message', 1], [project, 'ok-1', 1], [project, 'ok-2', 1], [project, 'ok-3', 1], [project, 'ok-5', 1],
        ['other-project', 'other-1', 1], ['other-project', 'other-2', 1],
      ],
    );
    const [text] = await h.strix.warehouse.query<{ message: string; keys: string[] }>(
      `SELECT any(message) AS message, groupArrayArray(mapKeys(attributes)) AS keys FROM events WHERE event_id IN ({ids:Array(String)})`,
      { ids: odd.map((o) => o.event_id) },
    );
    assert.ok(text?.message.includes('lone \ufffd surrogate') && text.keys.includes('k\ufffd'), JSON.stringify(text));
    assert.equal(stored.filter((r) => !r.event_id.startsWith(run)).length, 1, 'the later event through the edge is stored');
    assert.equal((await h.strix.app.inject('/readyz')).json<{ status: string }>().status, 'ready');

    const letters = (await query(h, '/v1/dead-letters?limit=50')).json<{ dead_letters: { reason: string; event_id: string; payload_base64: string }[] }>();
    const mine = letters.dead_letters.filter((d) => d.event_id.startsWith(run));
    assert.deepEqual(mine.map((d) => d.event_id).sort(), refused.map((p) => p.event_id).sort());
    for (const letter of mine) {
      assert.match(letter.reason, /^warehouse refused the event: .*out of range for UInt16/);
      assert.ok(!letter.reason.includes('fine '), 'a reason speaks of its own event only');
      assert.equal((JSON.parse(Buffer.from(letter.payload_base64, 'base64').toString()) as { event_id: string }).event_id, letter.event_id);
    }
  });
});
