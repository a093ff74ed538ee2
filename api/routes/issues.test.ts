import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Warehouse } from '@strix/contracts';
import { issueIdFor } from '@strix/issues';
import { errorRow } from '@strix/testkit/rows';
import { openStore } from '@strix/testkit/stores';
import { principal, queryApp } from '@strix/testkit/apps';


describe('issues API', () => {
  let wh: Warehouse;
  let close: () => Promise<void>;
  let app: Awaited<ReturnType<typeof queryApp>>;
  const id = (fp: string) => issueIdFor('p', fp);

  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object, key = 'agent-rw') =>
    app.inject({ method, url, headers: { authorization: `Bearer ${key}` }, ...(payload && { payload }) });

  before(async () => {
    ({ wh, close } = await openStore('p', 'other'));
    app = await queryApp(wh, [
      principal('agent-rw', 'agent', ['issues:read', 'issues:write']),
      principal('agent-ro', 'agent', ['issues:read']),
      principal('agent-other', 'agent', ['issues:read', 'issues:write'], 'other'),
      principal('client-1', 'client', ['events:write']),
    ]);
    await wh.insert('events', [
      ...['s1', 's2', 's3'].map((s) => errorRow({ project_id: 'p', fingerprint: 'crash', session_id: s, user_id: s, message: 'Null pointer in cart', exception_type: 'TypeError', app_version: '2.0.0' })),
      errorRow({ project_id: 'p', fingerprint: 'timeout', session_id: 's1', message: 'Timeout after 30s' }),
      errorRow({ project_id: 'p', fingerprint: 'devonly', session_id: 'd1', is_dev: true, message: 'Dev failure' }),
      errorRow({ project_id: 'p', fingerprint: '', level: 'info', name: 'tap_buy', message: 'tap', session_id: 's1' }),
    ]);
  });
  after(async () => {
    await app.close();
    await close();
  });

  it('scan-now returns what it created', async () => {
    const res = await call('POST', '/v1/issues/scan');
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json<{ created: { id: string; title: string }[]; errors: number; new_occurrences: number }>();
    assert.deepEqual(body.created.map((c) => c.id).sort(), [id('crash'), id('timeout'), id('devonly')].sort());
    assert.equal(body.errors, 5);
    assert.equal(body.new_occurrences, 5);
    assert.ok(body.created.some((c) => c.title === 'TypeError: Null pointer in cart'));
  });

  it('lists production issues sorted and filtered', async () => {
    const list = (await call('GET', '/v1/issues?sort=occurrences')).json<{ issues: { id: string; occurrences: number; users: number; status: string }[]; total: number }>();
    assert.deepEqual(list.issues.map((i) => [i.id, i.occurrences, i.users]), [[id('crash'), 3, 3], [id('timeout'), 1, 0]]);
    assert.equal(list.total, 2);
    const dev = (await call('GET', '/v1/issues?is_dev=true')).json<{ issues: { id: string }[] }>();
    assert.deepEqual(dev.issues.map((i) => i.id), [id('devonly')]);
    const text = (await call('GET', '/v1/issues?q=typeerror')).json<{ issues: { id: string }[] }>();
    assert.deepEqual(text.issues.map((i) => i.id), [id('crash')]);
    const other = (await call('GET', '/v1/issues', undefined, 'agent-other')).json<{ issues: unknown[] }>();
    assert.deepEqual(other.issues, [], 'another project sees none of these');
  });

  it('detail has occurrences and the session event stream', async () => {
    const res = await call('GET', `/v1/issues/${id('crash')}?session_id=s1`);
    assert.equal(res.statusCode, 200, res.body);
    const d = res.json<{ issue: { status: string }; occurrences: { session_id: string }[]; session: { session_id: string; events: { name: string }[] } }>();
    assert.equal(d.issue.status, 'new');
    assert.deepEqual(d.occurrences.map((o) => o.session_id).sort(), ['s1', 's2', 's3']);
    assert.equal(d.session.session_id, 's1');
    assert.ok(d.session.events.some((e) => e.name === 'tap_buy'));
    assert.equal((await call('GET', '/v1/issues/iss_nope')).statusCode, 404);
    assert.equal((await call('GET', `/v1/issues/${id('crash')}`, undefined, 'agent-other')).statusCode, 404, 'another project cannot read it');
  });

  it('status changes follow the lifecycle; a refused move is a 409 naming the allowed ones', async () => {
    const resolved = await call('PATCH', `/v1/issues/${id('timeout')}`, { status: 'resolved', resolved_at_version: '1.4.0' });
    assert.equal(resolved.statusCode, 200, resolved.body);
    assert.equal(resolved.json<{ issue: { resolved_at_version: string } }>().issue.resolved_at_version, '1.4.0');
    const refused = await call('PATCH', `/v1/issues/${id('timeout')}`, { status: 'in_progress' });
    assert.equal(refused.statusCode, 409);
    assert.match(refused.json<{ message: string }>().message, /from resolved it may become new/);
    const bad = await call('PATCH', `/v1/issues/${id('timeout')}`, { status: 'fixed' });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.json<{ message: string }>().message, /^body field status:/);
    assert.equal((await call('PATCH', `/v1/issues/${id('timeout')}`, {})).statusCode, 400);
    const snooze = await call('PATCH', `/v1/issues/${id('crash')}`, { snoozed_until: '2099-01-01T00:00:00Z' });
    assert.equal(snooze.json<{ issue: { snoozed_until: string } }>().issue.snoozed_until, '2099-01-01T00:00:00.000Z');
  });

  it('comments: create, edit, list, delete', async () => {
    const created = await call('POST', `/v1/issues/${id('crash')}/comments`, { body: 'Seen on **iOS 18** only' });
    assert.equal(created.statusCode, 201, created.body);
    const comment = created.json<{ comment: { id: string; author_type: string; author_name: string } }>().comment;
    assert.deepEqual([comment.author_type, comment.author_name], ['agent', 'agent-rw']);
    const byUser = await call('POST', `/v1/issues/${id('crash')}/comments`, { body: 'On it', author: { type: 'user', name: 'ana@example.com' } });
    assert.equal(byUser.json<{ comment: { author_type: string } }>().comment.author_type, 'user');
    assert.equal((await call('PATCH', `/v1/issues/${id('crash')}/comments/${comment.id}`, { body: 'Seen on iOS 18 and 17' })).statusCode, 200);
    assert.equal((await call('DELETE', `/v1/issues/${id('crash')}/comments/${comment.id}`)).statusCode, 204);
    const listed = (await call('GET', `/v1/issues/${id('crash')}/comments`)).json<{ comments: { body: string }[] }>();
    assert.deepEqual(listed.comments.map((c) => c.body), ['On it']);
    const tooLong = await call('POST', `/v1/issues/${id('crash')}/comments`, { body: 'x'.repeat(10_001) });
    assert.equal(tooLong.statusCode, 400);
    assert.match(tooLong.json<{ message: string }>().message, /body field body: must be at most 10000 characters/);
  });

  it('merge and unmerge', async () => {
    const merged = await call('POST', `/v1/issues/${id('crash')}/merge`, { source_ids: [id('timeout')] });
    assert.equal(merged.statusCode, 200, merged.body);
    assert.equal(merged.json<{ issue: { occurrences: number } }>().issue.occurrences, 3, 's1 is shared: counted once');
    assert.equal((await call('GET', `/v1/issues/${id('timeout')}`)).statusCode, 404);
    const crossMode = await call('POST', `/v1/issues/${id('crash')}/merge`, { source_ids: [id('devonly')] });
    assert.equal(crossMode.statusCode, 409);
    const split = await call('POST', `/v1/issues/${id('crash')}/unmerge`, { fingerprint: 'timeout' });
    assert.equal(split.statusCode, 201, split.body);
    const issue = split.json<{ issue: { id: string; status: string; title: string; occurrences: number } }>().issue;
    assert.deepEqual([issue.status, issue.title, issue.occurrences], ['new', 'Timeout after 30s', 1]);
  });

  it('permissions: read-only agents cannot write, client keys get 403, no key gets 401', async () => {
    assert.equal((await call('GET', '/v1/issues', undefined, 'agent-ro')).statusCode, 200);
    const denied = await call('POST', '/v1/issues/scan', undefined, 'agent-ro');
    assert.equal(denied.statusCode, 403);
    assert.match(denied.json<{ message: string }>().message, /issues:write/);
    assert.equal((await call('PATCH', `/v1/issues/${id('crash')}`, { status: 'in_progress' }, 'agent-ro')).statusCode, 403);
    assert.equal((await call('GET', '/v1/issues', undefined, 'client-1')).statusCode, 403);
    assert.equal((await app.inject({ method: 'GET', url: '/v1/issues' })).statusCode, 401);
  });
});
