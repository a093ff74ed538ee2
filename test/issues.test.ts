import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { groupingCases } from '@strix/grouping/cases';
import { event, ingest, query, startHarness, type Harness } from '@strix/testkit/harness';

interface IssueJson {
  id: string;
  title: string;
  culprit: string;
  status: string;
  occurrences: number;
  users: number;
  resolved_at_version: string | null;
  regressed_in_version: string | null;
}

function call(h: Harness, method: 'POST' | 'PATCH', url: string, payload?: object) {
  return h.strix.app.inject({ method, url, headers: { authorization: `Bearer ${h.credentials.agentKey}` }, ...(payload && { payload }) });
}

async function sendErrors(h: Harness, events: Record<string, unknown>[]): Promise<void> {
  for (let i = 0; i < events.length; i += 100) {
    const res = await ingest(h, { events: events.slice(i, i + 100) });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json<{ rejected: number }>().rejected, 0, res.body);
  }
  await h.strix.drained();
}

async function issuesMatching(h: Harness, text: string): Promise<IssueJson[]> {
  const res = await query(h, `/v1/issues?limit=200&q=${encodeURIComponent(text)}`);
  assert.equal(res.statusCode, 200, res.body);
  return res.json<{ issues: IssueJson[] }>().issues;
}

describe('embedded Strix: errors → processors → issue scan → issues API', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => h.close());

  it(`groups the ${groupingCases.length} message pairs end to end exactly as the table says`, async () => {
    assert.ok(groupingCases.length >= 40);
    // Each pair gets its own module, so pairs never share an issue with one another.
    const module = (i: number) => `pairmod${i}z`;
    await sendErrors(
      h,
      groupingCases.flatMap((c, i) => [
        event({ level: 'error', message: c.a, source_module: module(i), session_id: `pair${i}a`, name: undefined }),
        event({ level: 'error', message: c.b, source_module: module(i), session_id: `pair${i}b`, name: undefined }),
      ]),
    );
    const scan = await call(h, 'POST', '/v1/issues/scan');
    assert.equal(scan.statusCode, 200, scan.body);
    const wrong: string[] = [];
    for (const [i, c] of groupingCases.entries()) {
      const found = await issuesMatching(h, module(i));
      const grouped = found.length === 1 && found[0]?.occurrences === 2;
      const apart = found.length === 2 && found.every((f) => f.occurrences === 1);
      if (c.group ? !grouped : !apart) wrong.push(`${JSON.stringify(c.a)} / ${JSON.stringify(c.b)}: expected ${c.group ? 'one issue' : 'two issues'}, got ${found.length}`);
    }
    assert.deepEqual(wrong, []);
  });

  it('groups by in-app stack frames over messages, and by a client fingerprint over both', async () => {
    const frames = (line: number, fn = 'loadCart') => ({
      type: 'CartStateError',
      stacktrace: {
        frames: [
          { function: 'processTicksAndRejections', filename: 'node:internal/process/task_queues', lineno: 95 },
          { function: 'handler', filename: `/srv/build-${line}/app/src/routes/cart.ts`, lineno: line, in_app: true },
          { function: fn, filename: `/srv/build-${line}/app/src/cart/load.ts`, lineno: line + 7, in_app: true },
        ],
      },
    });
    await sendErrors(h, [
      event({ level: 'error', message: 'Cannot read properties of undefined (reading "items")', exception: frames(10), session_id: 'st1', name: undefined }),
      event({ level: 'error', message: 'cart is not iterable', exception: frames(42), session_id: 'st2', name: undefined }),
      event({ level: 'error', message: 'Cannot read properties of undefined (reading "items")', exception: frames(10, 'saveCart'), session_id: 'st3', name: undefined }),
      event({ level: 'error', message: 'zqpay declined 1', fingerprint: ['payments', 'declined'], session_id: 'fp1', name: undefined }),
      event({ level: 'error', message: 'zqpay totally different', fingerprint: ['payments', 'declined'], session_id: 'fp2', name: undefined }),
    ]);
    await call(h, 'POST', '/v1/issues/scan');
    const typeErrors = await issuesMatching(h, 'CartStateError');
    assert.deepEqual(typeErrors.map((i) => i.occurrences).sort(), [1, 2], 'same in-app frames group across messages and line numbers; another function does not');
    assert.ok(typeErrors.every((i) => i.culprit.includes('Cart')), `culprit names the innermost app frame: ${typeErrors.map((i) => i.culprit).join(', ')}`);
    const declined = await issuesMatching(h, 'zqpay');
    assert.deepEqual(declined.map((i) => i.occurrences), [2], 'a client fingerprint decides alone');
  });

  it('a resolved issue regresses when the error returns in a newer version (semver order)', async () => {
    await sendErrors(h, [event({ level: 'error', message: 'Sync failed: quota', source_module: 'regmod', app_version: '1.9.0', session_id: 'r1', name: undefined })]);
    await call(h, 'POST', '/v1/issues/scan');
    const [issue] = await issuesMatching(h, 'regmod');
    assert.ok(issue);
    const resolved = await call(h, 'PATCH', `/v1/issues/${issue.id}`, { status: 'resolved', resolved_at_version: '1.9.0' });
    assert.equal(resolved.statusCode, 200, resolved.body);

    await sendErrors(h, [event({ level: 'error', message: 'Sync failed: quota', source_module: 'regmod', app_version: '1.8.3', session_id: 'r2', name: undefined })]);
    const older = await call(h, 'POST', '/v1/issues/scan');
    assert.deepEqual(older.json<{ regressed: unknown[] }>().regressed, []);

    await sendErrors(h, [event({ level: 'error', message: 'Sync failed: quota', source_module: 'regmod', app_version: '1.10.0', session_id: 'r3', name: undefined })]);
    const newer = await call(h, 'POST', '/v1/issues/scan');
    assert.deepEqual(newer.json<{ regressed: unknown[] }>().regressed, [{ id: issue.id, version: '1.10.0' }]);
    const [after] = await issuesMatching(h, 'regmod');
    assert.deepEqual([after?.status, after?.regressed_in_version, after?.occurrences], ['regressed', '1.10.0', 3]);
  });
});
