/**
 * The rights of access and erasure over embedded Strix's API: a person's rows as a file, then the
 * person_delete job, after which no table returns a row of theirs and others keep theirs.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { event, ingest, startHarness, type Harness } from '@strix/testkit/harness';

interface Line {
  table: string;
  row: Record<string, unknown>;
}

describe('embedded Strix: export and delete one person', { timeout: 120_000 }, () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
    const sent = await ingest(h, {
      events: [
        event({ user_id: 'ada', session_id: 'ada-1', $set: { plan: 'pro' } }),
        event({ user_id: 'ada', session_id: 'ada-1', level: 'error', message: 'ada crash', name: undefined }),
        event({ user_id: 'bob', session_id: 'bob-1', $set: { plan: 'free' } }),
      ],
    });
    assert.equal(sent.statusCode, 200, sent.body);
    await h.strix.drained();
    const scan = await h.strix.app.inject({ method: 'POST', url: '/v1/issues/scan', headers: { authorization: `Bearer ${h.credentials.agentKey}` } });
    assert.equal(scan.statusCode, 200, scan.body);
  });
  after(async () => h.close());

  const post = (url: string, key = h.credentials.agentKey) => h.strix.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${key}` } });

  async function exported(userId: string): Promise<Line[]> {
    const res = await post(`/v1/people/${encodeURIComponent(userId)}/export`);
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.headers['content-type'], 'application/x-ndjson');
    assert.match(String(res.headers['content-disposition']), /^attachment; filename="person-[A-Za-z0-9_-]+\.ndjson"$/);
    return res.body
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Line);
  }

  it("exports every stored row about the person, and nobody else's", async () => {
    const lines = await exported('ada');
    const tables = new Set(lines.map((l) => l.table));
    for (const table of ['events', 'user_properties', 'issue_occurrences']) assert.ok(tables.has(table), `${table} in ${[...tables].join(', ')}`);
    assert.ok(lines.every((l) => !JSON.stringify(l.row).includes('bob')), 'no row of another person');
    assert.ok(lines.some((l) => l.table === 'user_properties' && JSON.stringify(l.row).includes('pro')));
  });

  it('deletes the person from every table through the person_delete job, with their attachments; others keep their rows', async () => {
    const file = 'ada screenshot';
    const reserved = await h.strix.app.inject({
      method: 'POST',
      url: '/v1/ingest/attachment',
      headers: { authorization: `Bearer ${h.credentials.clientKey}` },
      payload: { file_name: 'shot.txt', size: file.length, sha256: createHash('sha256').update(file).digest('hex'), client_event_id: 'ada-event', user_id: 'ada' },
    });
    assert.equal(reserved.statusCode, 200, reserved.body);
    const attachmentId = reserved.json<{ attachment: { id: string } }>().attachment.id;
    const upload = await h.strix.app.inject({ method: 'PUT', url: `/v1/ingest/attachment/${attachmentId}`, headers: { authorization: `Bearer ${h.credentials.clientKey}`, 'content-type': 'application/octet-stream' }, payload: file });
    assert.equal(upload.statusCode, 200, upload.body);

    const res = await post('/v1/people/ada/delete');
    assert.equal(res.statusCode, 202, res.body);
    const { run } = res.json<{ run: { id: string } }>();
    const deadline = Date.now() + 30_000;
    let status = '';
    let summary = null as { rowsDeleted?: Record<string, number> } | null;
    while (Date.now() < deadline) {
      const got = await h.strix.app.inject({ method: 'GET', url: `/v1/jobs/${run.id}`, headers: { authorization: `Bearer ${h.credentials.agentKey}` } });
      ({ status, summary } = got.json<{ run: { status: string; summary: typeof summary } }>().run);
      if (status !== 'pending' && status !== 'running') break;
      await sleep(50);
    }
    assert.equal(status, 'completed');
    assert.ok((summary?.rowsDeleted?.events ?? 0) >= 2, JSON.stringify(summary));
    // The record of the erasure names the person by a digest of their id only, in its parameters too.
    const ended = await h.strix.app.inject({ method: 'GET', url: `/v1/jobs/${run.id}`, headers: { authorization: `Bearer ${h.credentials.agentKey}` } });
    const digest = createHash('sha256').update('ada').digest('hex');
    assert.deepEqual(ended.json<{ run: { params: unknown } }>().run.params, { user_id_sha256: digest });
    assert.equal((summary as { user_id_sha256?: string } | null)?.user_id_sha256, digest);
    assert.doesNotMatch(ended.body, /"ada"/);
    const audit = await h.strix.control!.db.query<{ action: string; target_id: string; details: unknown }>(
      'SELECT action, target_id, details FROM audit_log WHERE project_id = $1',
      [h.credentials.projectId],
    );
    const aboutAda = audit.filter((e) => e.target_id === `sha256:${digest}`).map((e) => e.action);
    assert.ok(aboutAda.includes('person.exported') && aboutAda.includes('person.deleted'), JSON.stringify(audit));
    assert.doesNotMatch(JSON.stringify(audit), /"ada"/, 'the append-only audit log never named the person');
    assert.deepEqual(await exported('ada'), [], 'no table returns a row of the person');
    const attachment = await h.strix.app.inject({ method: 'GET', url: `/v1/attachments/${attachmentId}`, headers: { authorization: `Bearer ${h.credentials.agentKey}` } });
    assert.equal(attachment.statusCode, 404, 'their attachment is gone');
    assert.ok((await exported('bob')).some((l) => l.table === 'events'), 'another person keeps their rows');
    const again = await post('/v1/people/ada/delete');
    assert.equal(again.statusCode, 202, 'a second run (for rows that arrive late) is allowed once the first ended');
  });

  it('refuses keys without projects:write, and an over-long id naming the limit', async () => {
    assert.equal((await post('/v1/people/ada/export', h.credentials.clientKey)).statusCode, 403);
    const long = await post(`/v1/people/${'x'.repeat(5_000)}/export`);
    assert.equal(long.statusCode, 400);
    assert.match(long.json<{ message: string }>().message, /at most \d+ characters/);
  });
});
