/**
 * `strix mcp` driven by the MCP SDK's own client over stdio, against an
 * embedded Strix: the tools it lists, reads and triage calls, and errors.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { startCliWorld, strixBin, type CliWorld } from './cli.fixture.ts';

interface Issue {
  id: string;
  title: string;
  status: string;
  occurrences: number;
  resolved_at_version: string | null;
}

describe('strix mcp with the MCP SDK client', { timeout: 180_000 }, () => {
  let w: CliWorld;
  let client: Client;
  let stderr = '';

  before(async () => {
    w = await startCliWorld();
    const scan = await w.agent(['issues', 'scan']);
    assert.equal(scan.code, 0, scan.stderr);
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [strixBin, 'mcp'],
      env: { PATH: process.env.PATH ?? '', HOME: w.home, STRIX_URL: w.url, STRIX_KEY: w.h.credentials.agentKey },
      stderr: 'pipe',
    });
    transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    client = new Client({ name: 'strix-cli-test', version: '1.0.0' });
    await client.connect(transport);
  });
  after(async () => {
    await client?.close();
    await w.close();
  });

  /** Calls a tool and answers its text as JSON, failing with the tool's words when it errs. */
  async function call<T>(name: string, args: Record<string, unknown> = {}): Promise<T> {
    const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
    const text = result.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
    assert.ok(!result.isError, `${name} failed: ${text}\n${stderr}`);
    return JSON.parse(text) as T;
  }

  async function failure(name: string, args: Record<string, unknown>): Promise<string> {
    const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
    assert.equal(result.isError, true, `${name} should fail`);
    return result.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
  }

  it('lists the read and triage tools, with input schemas and hints', async () => {
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name).sort();
    for (const expected of ['query_events', 'run_funnel', 'query_metric', 'audience', 'run_sql', 'list_issues', 'get_issue', 'comment_on_issue', 'resolve_issue', 'reopen_issue', 'snooze_issue', 'merge_issues']) {
      assert.ok(names.includes(expected), `${expected} in ${names.join(', ')}`);
    }
    const list = tools.find((t) => t.name === 'list_issues');
    assert.equal(list?.annotations?.readOnlyHint, true);
    assert.ok(Object.keys(list?.inputSchema.properties ?? {}).includes('status'));
    assert.equal(tools.find((t) => t.name === 'merge_issues')?.annotations?.destructiveHint, true);
    assert.match(client.getInstructions() ?? '', /list_issues/);
  });

  it('queries events, a funnel, a metric, the audience and SQL', async () => {
    const { events } = await call<{ events: { level: string }[] }>('query_events', { level: 'error' });
    assert.equal(events.length, 4);
    const report = await call<{ groups: { steps: { count: number }[] }[] }>('run_funnel', {
      steps: ['app_open', 'signup', { event: 'purchase' }],
      from: new Date(Date.now() - 86_400_000).toISOString(),
      to: new Date(Date.now() + 60_000).toISOString(),
    });
    assert.deepEqual(report.groups[0]?.steps.map((s) => s.count), [3, 2, 1]);
    const metric = await call<{ summary: { completes: number; fails: number } }>('query_metric', { name: 'checkout.duration', interval: 'minute' });
    assert.deepEqual([metric.summary.completes, metric.summary.fails], [1, 1]);
    const active = await call<{ days: { mau: number }[] }>('audience', { view: 'active' });
    assert.equal(active.days.at(-1)?.mau, 3);
    const sql = await call<{ columns: string[]; rows: { n: string }[] }>('run_sql', { query: "SELECT count() AS n FROM events WHERE level = {level:String}", params: { level: 'error' } });
    assert.deepEqual(sql, { columns: ['n'], rows: [{ n: '4' }] });
  });

  it('triages: lists issues, reads one, comments, resolves in a version, reopens and merges', async () => {
    const { issues } = await call<{ issues: Issue[] }>('list_issues', { status: ['new'], sort: 'occurrences' });
    assert.equal(issues.length, 3);
    const [cart, a, b] = issues as [Issue, Issue, Issue];
    assert.equal(cart.occurrences, 2);

    const detail = await call<{ issue: Issue; grouping_explanation: { basis: string } }>('get_issue', { id: cart.id });
    assert.equal(detail.grouping_explanation.basis, 'stack');
    const { comment } = await call<{ comment: { author_type: string; author_name: string } }>('comment_on_issue', { id: cart.id, body: 'Cause: cart read before login', author_name: 'coding-agent' });
    assert.deepEqual([comment.author_type, comment.author_name], ['agent', 'coding-agent']);
    const resolved = await call<{ issue: Issue }>('resolve_issue', { id: cart.id, version: '2.0.1' });
    assert.deepEqual([resolved.issue.status, resolved.issue.resolved_at_version], ['resolved', '2.0.1']);
    assert.equal((await call<{ issue: Issue }>('reopen_issue', { id: cart.id })).issue.status, 'new');
    assert.equal((await call<{ issue: Issue }>('set_issue_status', { id: cart.id, status: 'in_progress' })).issue.status, 'in_progress');

    const merged = await call<{ issue: Issue }>('merge_issues', { target_id: a.id, source_ids: [b.id] });
    assert.equal(merged.issue.occurrences, 2);
    const { issues: after } = await call<{ issues: Issue[] }>('list_issues', {});
    assert.deepEqual(after.map((i) => i.id).sort(), [cart.id, a.id].sort());
  });

  it('answers API refusals and invalid input as tool errors with the message', async () => {
    assert.match(await failure('get_issue', { id: 'iss_missing' }), /404 not_found/);
    assert.match(await failure('set_issue_status', { id: 'iss_missing', status: 'resolved' }), /404/);
    assert.match(await failure('query_events', { from: 'last tuesday' }), /400 bad_request\): query parameter from/);
    assert.match(await failure('run_sql', { query: 'SELECT nope FROM events' }), /UNKNOWN_IDENTIFIER/);
    assert.match(await failure('list_issues', { limit: 'many' }), /Input validation error/);
  });
});
