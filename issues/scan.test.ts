import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { IssueStateStore } from '@strix/contracts';
import { recentOccurrences, recordOccurrences, statsById, storedIssueState } from '@strix/warehouse';
import type { ChdbWarehouse } from '@strix/warehouse/chdb';
import { errorRow } from '@strix/testkit/rows';
import { openIssueStores, pause } from '@strix/testkit/stores';
import { issueIdFor } from './scan.ts';
import { IssueService } from './service.ts';

describe('issue scan on chDB', () => {
  let wh: ChdbWarehouse;
  let close: () => Promise<void>;
  let state: IssueStateStore;
  let issues: IssueService;

  before(async () => {
    ({ wh, state, close } = await openIssueStores('p1', 'p2', 'whole', 'sliced'));
    issues = new IssueService({ warehouse: wh, state });
  });
  after(() => close());

  it('creates one issue per fingerprint and one occurrence per session', async () => {
    await wh.insert('events', [
      errorRow({ project_id: 'p1', fingerprint: 'fa', message: 'User 1 not found', session_id: 's1', user_id: 'u1', exception_type: 'NotFound', culprit: 'load (users.ts)' }),
      errorRow({ project_id: 'p1', fingerprint: 'fa', message: 'User 2 not found', session_id: 's1', user_id: 'u1' }),
      errorRow({ project_id: 'p1', fingerprint: 'fa', message: 'User 3 not found', session_id: 's2', user_id: 'u2' }),
      errorRow({ project_id: 'p1', fingerprint: 'fa', message: 'User 4 not found', session_id: 's3', user_id: 'u2' }),
      errorRow({ project_id: 'p1', fingerprint: 'fb', message: 'Disk full', session_id: 's1', user_id: 'u1' }),
      // Another project's errors are not this scan's business.
      errorRow({ project_id: 'p2', fingerprint: 'fa', message: 'User 5 not found' }),
      // Neither are non-errors, nor errors without a fingerprint.
      errorRow({ project_id: 'p1', fingerprint: '', level: 'info', message: 'hello' }),
    ]);
    const summary = await issues.scan('p1');
    assert.equal(summary.errors, 5);
    assert.deepEqual(summary.created.map((c) => c.issue_id).sort(), [issueIdFor('p1', 'fa'), issueIdFor('p1', 'fb')].sort());
    assert.deepEqual(summary.updated, []);
    assert.equal(summary.newOccurrences, 4);

    const [a] = await state.issues('p1', [issueIdFor('p1', 'fa')]);
    assert.equal(a?.status, 'new');
    assert.equal(a?.title, 'NotFound: User 1 not found');
    assert.equal(a?.culprit, 'load (users.ts)');
    const stats = new Map((await statsById(wh, 'p1', [issueIdFor('p1', 'fa'), issueIdFor('p1', 'fb')])).map((s) => [s.issue_id, s]));
    assert.deepEqual([stats.get(issueIdFor('p1', 'fa'))?.occurrences, stats.get(issueIdFor('p1', 'fa'))?.users], [3, 2]);
    assert.deepEqual([stats.get(issueIdFor('p1', 'fb'))?.occurrences, stats.get(issueIdFor('p1', 'fb'))?.users], [1, 1]);
  });

  it('re-running a scan over the same errors changes nothing', async () => {
    const before = await statsById(wh, 'p1', [issueIdFor('p1', 'fa')]);
    // The overlap re-reads the last minutes, so this scan sees every error again.
    const again = await issues.scan('p1');
    assert.equal(again.errors, 5);
    assert.deepEqual(again.created, []);
    assert.equal(again.newOccurrences, 0);
    const afterStats = await statsById(wh, 'p1', [issueIdFor('p1', 'fa')]);
    assert.equal(afterStats[0]?.occurrences, before[0]?.occurrences);
    assert.equal(afterStats[0]?.users, before[0]?.users);
    // Digests read last_activity_at: errors re-read through the overlap are not news.
    assert.equal(afterStats[0]?.last_activity_at, before[0]?.last_activity_at);
  });

  it('records new sessions of a known issue as occurrences and counts each user once', async () => {
    const [earlier] = await statsById(wh, 'p1', [issueIdFor('p1', 'fa')]);
    await wh.insert('events', [
      errorRow({ project_id: 'p1', fingerprint: 'fa', session_id: 's1', user_id: 'u1' }),
      errorRow({ project_id: 'p1', fingerprint: 'fa', session_id: 's4', user_id: 'u1' }),
      errorRow({ project_id: 'p1', fingerprint: 'fa', session_id: 's5', user_id: 'u3' }),
    ]);
    const summary = await issues.scan('p1');
    assert.deepEqual(summary.created, []);
    assert.ok(summary.updated.includes(issueIdFor('p1', 'fa')));
    assert.equal(summary.newOccurrences, 2);
    const [stats] = await statsById(wh, 'p1', [issueIdFor('p1', 'fa')]);
    assert.deepEqual([stats?.occurrences, stats?.users], [5, 3]);
    assert.ok((stats?.last_activity_at ?? 0) > (earlier?.last_activity_at ?? Infinity), 'new errors are activity');
  });

  it('a burst of errors without a session is one occurrence', async () => {
    const t = Math.floor(Date.now() / 5_000) * 5_000 + 100;
    await wh.insert('events', [
      ...Array.from({ length: 20 }, (_, i) => errorRow({ project_id: 'p2', fingerprint: 'burst', session_id: '', user_id: 'u9', ts: t + i * 10 })),
      // The same user an hour later is another occurrence, as is another user in the same burst.
      errorRow({ project_id: 'p2', fingerprint: 'burst', session_id: '', user_id: 'u9', ts: t + 3_600_000 }),
      errorRow({ project_id: 'p2', fingerprint: 'burst', session_id: '', user_id: 'u8', ts: t + 50 }),
    ]);
    await issues.scan('p2');
    const [stats] = await statsById(wh, 'p2', [issueIdFor('p2', 'burst')]);
    assert.deepEqual([stats?.occurrences, stats?.users], [3, 2]);
  });

  it('a new grouping config joins the issue its previous fingerprint created', async () => {
    await wh.insert('events', [errorRow({ project_id: 'p2', fingerprint: 'old-hash', grouping_config: 'strix-1', session_id: 'g1' })]);
    await issues.scan('p2');
    await wh.insert('events', [
      errorRow({ project_id: 'p2', fingerprint: 'new-hash', fingerprint_previous: 'old-hash', grouping_config: 'strix-2', session_id: 'g2' }),
    ]);
    const summary = await issues.scan('p2');
    assert.deepEqual(summary.created, [], 'no new issue for the upgraded rules');
    const routes = (await state.routes('p2', ['old-hash', 'new-hash'])).sort((a, b) => a.fingerprint.localeCompare(b.fingerprint));
    assert.deepEqual(routes.map((r) => r.issue_id), [issueIdFor('p2', 'old-hash'), issueIdFor('p2', 'old-hash')]);
    const [stats] = await statsById(wh, 'p2', [issueIdFor('p2', 'old-hash')]);
    assert.equal(stats?.occurrences, 2);
  });

  it('leaves the warehouse a copy of the issues and routes it made, every row copied', async () => {
    const copy = await storedIssueState(wh);
    const strip = <T extends { version: number }>({ version: _v, ...row }: T) => row;
    const byKey = (rows: { project_id: string }[], key: (r: never) => string) => new Map(rows.map((r) => [key(r as never), r]));
    const stored = await state.issues('p1', [issueIdFor('p1', 'fa'), issueIdFor('p1', 'fb')]);
    const copies = byKey(copy.issues.map(strip), (r: { issue_id: string }) => r.issue_id);
    for (const issue of stored) assert.deepEqual(copies.get(issue.issue_id), issue);
    assert.deepEqual(new Set(copy.routes.map((r) => `${r.project_id}/${r.fingerprint}`)), new Set(['p1/fa', 'p1/fb', 'p2/fa', 'p2/burst', 'p2/old-hash', 'p2/new-hash']));
    assert.deepEqual(await state.unmirrored(10), { issues: [], routes: [], comments: [] });
  });

  it('the cursor moves forward and a scan with nothing new reads only the overlap', async () => {
    const first = await issues.scan('p2');
    await pause(5);
    const second = await issues.scan('p2');
    assert.ok(second.to > first.to);
    assert.equal(second.from, Math.max(0, first.to - 10 * 60_000));
    assert.deepEqual(second.created, []);
    assert.equal(second.newOccurrences, 0);
  });

  it('occurrences written in hash slices are the same as written in one statement', async () => {
    const from = Date.now() - 1;
    const rows = (project: string) =>
      Array.from({ length: 60 }, (_, i) => errorRow({ project_id: project, fingerprint: `slice${i % 3}`, session_id: i % 5 ? `sess${i % 17}` : '', user_id: `u${i % 7}`, ts: from - 3_600_000 + i * 997 }));
    await wh.insert('events', [...rows('whole'), ...rows('sliced')]);
    const to = Date.now() + 1_000;
    await recordOccurrences(wh, { projectId: 'whole', from, to }, 60, 5_000);
    // As many errors as eight slices hold: the window is written in eight statements.
    await recordOccurrences(wh, { projectId: 'sliced', from, to }, 8 * 250_000, 5_000);
    const fps = ['slice0', 'slice1', 'slice2'];
    const whole = await recentOccurrences(wh, 'whole', fps, 1_000);
    assert.ok(whole.length > 10);
    assert.deepEqual(await recentOccurrences(wh, 'sliced', fps, 1_000), whole);
  });
});
