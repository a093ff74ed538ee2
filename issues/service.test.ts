import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { IssueStateStore, Warehouse } from '@strix/contracts';
import { statsById, storedComments, storedIssueState } from '@strix/warehouse';
import type { ChdbWarehouse } from '@strix/warehouse/chdb';
import { groupEvent, type GroupingInput } from '@strix/grouping';
import { IssueError } from './errors.ts';
import { errorRow } from '@strix/testkit/rows';
import { openIssueStores, pause } from '@strix/testkit/stores';
import { issueIdFor } from './scan.ts';
import { IssueService } from './service.ts';

const agent = { type: 'agent' as const, name: 'triage-bot' };

async function refused(work: Promise<unknown>, kind: IssueError['kind'], text: RegExp): Promise<void> {
  await assert.rejects(work, (error: unknown) => error instanceof IssueError && error.kind === kind && text.test(error.message));
}

describe('issue lifecycle, regressions, comments, merge and unmerge on chDB', () => {
  let wh: ChdbWarehouse;
  let close: () => Promise<void>;
  let state: IssueStateStore;
  let issues: IssueService;
  const id = (fp: string) => issueIdFor('p', fp);
  const status = async (fp: string) => (await state.issues('p', [id(fp)]))[0]?.status;

  before(async () => {
    ({ wh, state, close } = await openIssueStores('p'));
    issues = new IssueService({ warehouse: wh, state });
    await wh.insert('events', ['reg', 'old', 'unknown', 'nover', 'm1', 'm2', 'm3', 'life'].map((fp) => errorRow({ project_id: 'p', fingerprint: fp, app_version: '1.9.0', session_id: `${fp}-s0` })));
    await issues.scan('p');
  });
  after(() => close());

  it('enforces the lifecycle and names the allowed moves on a refusal', async () => {
    await issues.changeStatus('p', id('life'), { status: 'in_progress' });
    await issues.changeStatus('p', id('life'), { status: 'silenced' });
    await refused(issues.changeStatus('p', id('life'), { status: 'resolved' }), 'conflict', /from silenced it may become new/);
    await refused(issues.changeStatus('p', id('life'), { status: 'regressed' }), 'conflict', /only the issue scan/);
    await issues.changeStatus('p', id('life'), { status: 'new' });
    assert.equal(await status('life'), 'new');
    await refused(issues.changeStatus('p', id('life'), { resolvedAtVersion: '2.0.0' }), 'invalid', /resolved_at_version/);
    await refused(issues.changeStatus('p', 'iss_missing', { status: 'resolved' }), 'not_found', /no issue iss_missing/);
  });

  it('snoozes until a time and wakes on request', async () => {
    const until = Date.now() + 3_600_000;
    const snoozed = await issues.changeStatus('p', id('life'), { snoozedUntil: until });
    assert.equal(snoozed.snoozed_until, until);
    assert.equal((await issues.changeStatus('p', id('life'), { snoozedUntil: null })).snoozed_until, null);
  });

  it('a resolved issue regresses only on a later error from a newer version', async () => {
    for (const fp of ['reg', 'old', 'unknown']) await issues.changeStatus('p', id(fp), { status: 'resolved', resolvedAtVersion: '1.9.0' });
    await issues.changeStatus('p', id('nover'), { status: 'resolved' });
    await pause(5);
    // The scan re-reads its overlap, so the 1.9.0 errors from before the resolve are seen again: they must not count.
    await wh.insert('events', [
      errorRow({ project_id: 'p', fingerprint: 'reg', app_version: '1.10.0' }), // newer: 1.10 > 1.9, unlike string order
      errorRow({ project_id: 'p', fingerprint: 'reg', app_version: '1.9.5' }),
      errorRow({ project_id: 'p', fingerprint: 'old', app_version: '1.8.2' }), // older: stays resolved
      errorRow({ project_id: 'p', fingerprint: 'unknown', app_version: 'nightly' }), // unknown order: stays resolved
      errorRow({ project_id: 'p', fingerprint: 'unknown', app_version: '' }),
      errorRow({ project_id: 'p', fingerprint: 'nover', app_version: '3.0.0' }), // resolved without a version
    ]);
    const summary = await issues.scan('p');
    assert.deepEqual(summary.regressed, [{ issue_id: id('reg'), version: '1.10.0' }]);
    assert.equal(await status('reg'), 'regressed');
    for (const fp of ['old', 'unknown', 'nover']) assert.equal(await status(fp), 'resolved', fp);
    const [reg] = await state.issues('p', [id('reg')]);
    assert.equal(reg?.regressed_in_version, '1.10.0');
    // Scanning again does not regress anything twice, and a regressed issue goes back through the lifecycle.
    assert.deepEqual((await issues.scan('p')).regressed, []);
    await issues.changeStatus('p', id('reg'), { status: 'in_progress' });
  });

  it('a change the warehouse did not take is copied there by the next scan', async () => {
    // The warehouse refuses the copy: the change stands where it lives, and the call does not fail.
    const refusing: Warehouse = {
      insert: (table, rows, options) => (table === 'issues' ? Promise.reject(new Error('warehouse unreachable')) : wh.insert(table, rows, options)),
      query: (sql, params) => wh.query(sql, params),
      command: (sql, params) => wh.command(sql, params),
      stream: (sql, params, format) => wh.stream(sql, params, format),
      close: () => Promise.resolve(),
    };
    const copyStatus = async () => (await storedIssueState(wh)).issues.find((i) => i.issue_id === id('life'))?.status;
    const before = await copyStatus();
    await new IssueService({ warehouse: refusing, state }).changeStatus('p', id('life'), { status: 'silenced' });
    assert.equal(await status('life'), 'silenced');
    assert.equal(await copyStatus(), before, 'the copy is behind');
    await issues.scan('p');
    assert.equal(await copyStatus(), 'silenced');
    await issues.changeStatus('p', id('life'), { status: 'new' });
    assert.equal(await copyStatus(), 'new');
  });

  it('comments: add, edit, soft delete, purge after seven days', async () => {
    const c1 = await issues.addComment('p', id('m2'), agent, 'Looks like **the cache**');
    const c2 = await issues.addComment('p', id('m2'), { type: 'user', name: 'ana@example.com' }, 'Repro in `checkout`');
    await issues.editComment('p', id('m2'), c1.comment_id, 'It is **the cache**');
    await issues.deleteComment('p', id('m2'), c2.comment_id);
    const listed = await issues.listComments('p', id('m2'));
    assert.deepEqual(listed.map((c) => [c.author_type, c.author_name, c.body, c.edited_at !== null]), [['agent', 'triage-bot', 'It is **the cache**', true]]);
    await refused(issues.editComment('p', id('m2'), c2.comment_id, 'x'), 'not_found', /no comment/);
    await refused(issues.deleteComment('p', id('m1'), c1.comment_id), 'not_found', /no comment/);
    const copies = async () => (await storedComments(wh)).map((c) => [c.comment_id, c.body, c.deleted_at !== null]);
    assert.deepEqual(await copies(), [[c1.comment_id, 'It is **the cache**', false], [c2.comment_id, 'Repro in `checkout`', true]].sort(), 'the warehouse copy follows every change');
    assert.equal(await issues.purgeDeletedComments(Date.now() - 7 * 86_400_000), 0, 'too recent to purge');
    assert.equal(await issues.purgeDeletedComments(Date.now() + 1), 1);
    assert.deepEqual(await state.comments('p', [id('m2')], true).then((rows) => rows.map((c) => c.comment_id)), [c1.comment_id]);
    assert.deepEqual((await copies()).map(([commentId]) => commentId), [c1.comment_id], 'purged from the copy too');
  });

  it('merge moves fingerprints, occurrences and comments; future errors route to the survivor', async () => {
    // m2 and m3 share a session with m1: a merged issue counts that session once.
    await wh.insert('events', [
      errorRow({ project_id: 'p', fingerprint: 'm1', session_id: 'shared', user_id: 'u1' }),
      errorRow({ project_id: 'p', fingerprint: 'm2', session_id: 'shared', user_id: 'u1' }),
      errorRow({ project_id: 'p', fingerprint: 'm3', session_id: 'm3-only', user_id: 'u2' }),
    ]);
    await issues.scan('p');
    await issues.merge('p', id('m1'), [id('m2'), id('m3')]);
    const routes = await state.routes('p', ['m1', 'm2', 'm3']);
    assert.deepEqual(new Set(routes.map((r) => r.issue_id)), new Set([id('m1')]));
    const [stats] = await statsById(wh, 'p', [id('m1')]);
    // Sessions: m1-s0, m2-s0, m3-s0, shared (once), m3-only.
    assert.equal(stats?.occurrences, 5);
    assert.deepEqual((await issues.listComments('p', id('m1'))).map((c) => c.body), ['It is **the cache**']);
    await refused(issues.detail('p', id('m2'), { occurrences: 10 }), 'not_found', new RegExp(`merged into ${id('m1')}`));
    const listed = await issues.list({ projectId: 'p', sort: 'occurrences', limit: 50, offset: 0 });
    assert.ok(!listed.issues.some((i) => i.issue_id === id('m2')), 'merged issues leave the list');

    await wh.insert('events', [errorRow({ project_id: 'p', fingerprint: 'm3', session_id: 'later' })]);
    const summary = await issues.scan('p');
    assert.deepEqual(summary.created, []);
    assert.equal((await statsById(wh, 'p', [id('m1')]))[0]?.occurrences, 6);
    await refused(issues.merge('p', id('m1'), [id('m1')]), 'invalid', /into itself/);
  });

  it('unmerge splits a fingerprint back out with its occurrences', async () => {
    const split = await issues.unmerge('p', id('m1'), 'm3');
    assert.equal(split.status, 'new');
    assert.notEqual(split.issue_id, id('m1'));
    const stats = new Map((await statsById(wh, 'p', [id('m1'), split.issue_id])).map((s) => [s.issue_id, s.occurrences]));
    // m3's sessions: m3-s0, m3-only, later. m1 keeps m1-s0, m2-s0 and shared.
    assert.equal(stats.get(split.issue_id), 3);
    assert.equal(stats.get(id('m1')), 3);
    await wh.insert('events', [errorRow({ project_id: 'p', fingerprint: 'm3', session_id: 'after-split' })]);
    const summary = await issues.scan('p');
    assert.ok(summary.updated.includes(split.issue_id));
    assert.equal((await statsById(wh, 'p', [split.issue_id]))[0]?.occurrences, 4);
    await refused(issues.unmerge('p', split.issue_id, 'm3'), 'conflict', /only one/);
    await refused(issues.unmerge('p', id('m1'), 'm3'), 'not_found', /does not route/);
  });

  it('detail shows occurrences, fingerprints, comments and the session event stream', async () => {
    await wh.insert('events', [
      errorRow({ project_id: 'p', fingerprint: '', level: 'info', name: 'screen_view', message: 'checkout', session_id: 'shared' }),
    ]);
    const detail = await issues.detail('p', id('m1'), { occurrences: 10, sessionId: 'shared' });
    assert.deepEqual(new Set(detail.fingerprints.map((f) => f.fingerprint)), new Set(['m1', 'm2']));
    assert.equal(new Set(detail.occurrences.map((o) => o.session_id)).size, detail.occurrences.length, 'one occurrence per session');
    assert.equal(detail.session.session_id, 'shared');
    assert.ok(detail.session.events.some((e) => e.name === 'screen_view'));
    assert.ok(detail.session.events.every((e) => e.session_id === 'shared'));
  });

  it('detail explains the grouping of the latest stored error, and says when what was stored cannot reproduce it', async () => {
    const frames = [
      { function: 'processTicksAndRejections', filename: 'node:internal/process/task_queues', lineno: 95 },
      { function: 'loadCart', filename: '/srv/build-7/app/src/cart/load.ts', lineno: 17, colno: 3 },
    ];
    const error: GroupingInput = { app_id: 'app', is_dev: false, level: 'error', message: 'Cart 42 is empty', source_module: 'Cart', exception: { type: 'CartError', stacktrace: { frames } } };
    const grouping = groupEvent(error);
    await wh.insert('events', [
      errorRow({
        project_id: 'p', app_id: 'app', message: error.message, source_module: 'Cart', session_id: 'cart-1',
        fingerprint: grouping.fingerprint, fingerprint_previous: grouping.previous, grouping_config: grouping.config,
        exception_type: grouping.exceptionType, culprit: grouping.culprit, stack_frames: JSON.stringify(frames),
      }),
    ]);
    await issues.scan('p');
    const { grouping_explanation: explained } = await issues.detail('p', id(grouping.fingerprint), { occurrences: 10 });
    assert.ok(explained);
    assert.deepEqual([explained.config, explained.basis, explained.fingerprint], ['strix-2', 'stack', grouping.fingerprint]);
    const frameComponent = explained.components.find((c) => c.name === 'in_app_frames');
    assert.deepEqual([frameComponent?.contributes, frameComponent?.values], [true, ['loadCart (src/cart/load.ts)']]);
    assert.deepEqual(explained.components.find((c) => c.name === 'system_frames')?.values, ['processTicksAndRejections (node:internal/process/task_queues)']);
    assert.match(explained.components.find((c) => c.name === 'client_fingerprint')?.hint ?? '', /not stored with events/);
    assert.match(explained.summary, /Recomputed from the issue's latest stored error/);

    // m1's rows carry a made-up fingerprint: nothing stored of them gives it back.
    const { grouping_explanation: unexplained } = await issues.detail('p', id('m1'), { occurrences: 0 });
    assert.deepEqual([unexplained?.basis, unexplained?.config], ['unknown', 'strix-2']);
    assert.ok(unexplained?.components.every((c) => !c.contributes));
    assert.match(unexplained?.summary ?? '', /does not come out of its stored fields/);
  });
});
