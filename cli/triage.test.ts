/**
 * Triage and analytics through `strix`, spawned against an embedded Strix:
 * jobs with --wait (to completion, and to failure), issues from list to
 * merge, SQL, funnels, metrics, audience, and a live tail.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { event, ingest } from '@strix/testkit/harness';
import { json, startCliWorld, strixBin, type CliWorld } from './cli.fixture.ts';

interface Issue {
  id: string;
  title: string;
  status: string;
  occurrences: number;
  resolved_at_version: string | null;
  snoozed_until: string | null;
}

interface Run {
  id: string;
  type: string;
  status: string;
  error: string;
}

describe('strix triage and analytics against a running Strix', { timeout: 240_000 }, () => {
  let w: CliWorld;
  before(async () => {
    w = await startCliWorld();
  });
  after(async () => w.close());

  const issueTitled = async (pattern: RegExp): Promise<Issue> => {
    const found = json<Issue[]>(await w.agent(['issues', 'list', '-f', 'json'])).find((i) => pattern.test(i.title));
    assert.ok(found, `an issue titled ${String(pattern)}`);
    return found;
  };

  it('triggers the issue scan and waits for it, with a line per change off a terminal, ending with its status', async () => {
    const run = await w.agent(['jobs', 'trigger', 'issue_scan', '--wait', '--format', 'json']);
    const ended = json<Run>(run);
    assert.equal(ended.type, 'issue_scan');
    assert.equal(ended.status, 'completed');
    const lines = run.stderr.trimEnd().split('\n');
    assert.match(lines.at(-1) ?? '', new RegExp(`^issue_scan ${ended.id}: completed after \\d+\\.\\d s`));
    assert.ok(!run.stderr.includes('\r'), 'no bar redrawn in place when stderr is not a terminal');

    const runs = json<Run[]>(await w.agent(['jobs', 'list', '--type', 'issue_scan', '-f', 'json']));
    assert.equal(runs[0]?.id, ended.id);
  });

  it('exits 4 when the job it waits for fails, naming the run and its error', async () => {
    const run = await w.agent(['jobs', 'trigger', 'revenuecat_sync', '--wait']);
    assert.equal(run.code, 4, run.stderr);
    assert.match(run.stderr, /revenuecat_sync run [\w-]+ failed: this project is not linked to RevenueCat/);
    assert.match(run.stdout, /^id +type +status/);
    assert.match(run.stdout, /revenuecat_sync +failed/);
  });

  it('lists, reads, comments on, resolves, reopens, snoozes and merges issues', async () => {
    const issues = json<Issue[]>(await w.agent(['issues', 'list', '--sort', 'occurrences', '-f', 'json']));
    assert.equal(issues.length, 3);
    assert.equal(issues[0]?.occurrences, 2, 'the two CartStateErrors group by their in-app frames');
    const cart = issues[0];
    assert.ok(cart);

    const detail = json<{ issue: Issue; occurrences: unknown[]; grouping_explanation: { basis: string } }>(await w.agent(['issues', 'show', cart.id, '-f', 'json']));
    assert.equal(detail.grouping_explanation.basis, 'stack');
    assert.equal(detail.occurrences.length, 2);
    const shown = await w.agent(['issues', 'show', cart.id]);
    assert.match(shown.stdout, /^id +iss_/);
    assert.match(shown.stdout, /\nOccurrences \(2 latest\)\n/);

    const comment = json<{ author_type: string; author_name: string; body: string }>(await w.agent(['issues', 'comment', cart.id, 'Null cart after login; fix in #412', '-f', 'json']));
    assert.deepEqual([comment.author_type, comment.body], ['agent', 'Null cart after login; fix in #412']);
    const piped = json<{ author_name: string; body: string }>(await w.agent(['issues', 'comment', cart.id, '--as', 'triage-bot', '-f', 'json'], { input: 'From stdin\n' }));
    assert.deepEqual([piped.author_name, piped.body], ['triage-bot', 'From stdin']);

    const resolved = json<Issue>(await w.agent(['issues', 'resolve', cart.id, '--version', '2.0.1', '-f', 'json']));
    assert.deepEqual([resolved.status, resolved.resolved_at_version], ['resolved', '2.0.1']);
    assert.equal(json<Issue>(await w.agent(['issues', 'reopen', cart.id, '-f', 'json'])).status, 'new');
    const snoozed = json<Issue>(await w.agent(['issues', 'snooze', cart.id, '2h', '-f', 'json']));
    assert.ok(snoozed.snoozed_until !== null && Date.parse(snoozed.snoozed_until) > Date.now() + 3_500_000);
    const refused = await w.agent(['issues', 'claim', 'iss_missing']);
    assert.equal(refused.code, 1);

    const payments = await issueTitled(/^Payment/);
    const billing = await issueTitled(/^Card/);
    const merged = json<Issue>(await w.agent(['issues', 'merge', payments.id, billing.id, '-f', 'json']));
    assert.equal(merged.id, payments.id);
    assert.equal(merged.occurrences, 2);
    const gone = await w.agent(['issues', 'show', billing.id]);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /404/);
    const detailAfter = json<{ comments: unknown[] }>(await w.agent(['issues', 'show', cart.id, '-f', 'json']));
    assert.equal(detailAfter.comments.length, 2);
  });

  it('runs SQL from an argument or stdin, in each format, with parameters', async () => {
    const table = await w.agent(['sql', "SELECT name, count() AS n FROM events WHERE name IN ('app_open', 'signup') GROUP BY name ORDER BY name"]);
    assert.equal(table.code, 0, table.stderr);
    assert.deepEqual(table.stdout.trimEnd().split('\n').map((l) => l.split(/ +/)), [
      ['name', 'n'],
      ['app_open', '3'],
      ['signup', '2'],
    ]);
    const csv = await w.agent(['sql', '--format', 'csv'], { input: "SELECT user_id FROM events WHERE name = 'signup' ORDER BY user_id" });
    assert.equal(csv.stdout, '"user_id"\n"u1"\n"u2"\n');
    const rows = json<{ n: string }[]>(await w.agent(['sql', '-f', 'json', '--param', 'who=u1', 'SELECT count() AS n FROM events WHERE user_id = {who:String}']));
    assert.deepEqual(rows, [{ n: '7' }], 'three product events, an error and three metric points');
    const own = await w.agent(['sql', "SELECT 'raw' AS a FORMAT TSVWithNames"]);
    assert.equal(own.stdout, 'a\nraw\n', 'a FORMAT clause of the query is passed through');
    const bad = await w.agent(['sql', 'SELECT nope FROM events']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /UNKNOWN_IDENTIFIER/);
  });

  it('runs a funnel, lists and queries metrics, and reads the audience', async () => {
    const report = json<{ groups: { steps: { event: string; count: number }[] }[] }>(
      await w.agent(['funnels', 'run', '--step', 'app_open', '--step', 'signup', '--step', 'purchase', '--from', '1d', '-f', 'json']),
    );
    assert.deepEqual(report.groups[0]?.steps.map((s) => [s.event, s.count]), [
      ['app_open', 3],
      ['signup', 2],
      ['purchase', 1],
    ]);
    const steps = await w.agent(['funnels', 'run', '--step', 'app_open', '--step', 'signup', '-f', 'csv']);
    assert.match(steps.stdout, /^group,step,event,count,conversion_rate,/);
    assert.equal(steps.stdout.trimEnd().split('\r\n').length, 3);
    assert.equal((await w.agent(['funnels', 'run'])).code, 2, 'neither a saved funnel nor steps');

    const metrics = json<{ name: string; completes: number; fails: number }[]>(await w.agent(['metrics', 'list', '-f', 'json']));
    const checkout = metrics.find((m) => m.name === 'checkout.duration');
    assert.deepEqual([checkout?.completes, checkout?.fails], [1, 1]);
    const series = json<{ summary: { completes: number; success_rate: number } }>(await w.agent(['metrics', 'query', 'checkout.duration', '--interval', 'minute', '-f', 'json']));
    assert.deepEqual([series.summary.completes, series.summary.success_rate], [1, 0.5]);

    const active = json<{ days: { mau: number }[] }>(await w.agent(['audience', '-f', 'json']));
    assert.equal(active.days.at(-1)?.mau, 3);
    assert.equal((await w.agent(['audience', 'live', '--from', '1h'])).code, 2, 'live has no range');
  });

  it('tails events: the latest first, then each new one as it is stored, until --count', async () => {
    const child = spawn(process.execPath, [strixBin, 'events', 'tail', '-n', '2', '--count', '3', '--interval', '0.2', '--format', 'json'], {
      env: { PATH: process.env.PATH ?? '', HOME: w.home, XDG_CONFIG_HOME: join(w.home, 'tail'), STRIX_URL: w.url, STRIX_KEY: w.h.credentials.agentKey },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const exited = once(child, 'close');
    const lines = () => out.split('\n').filter(Boolean);
    await new Promise<void>((resolve, reject) => {
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        if (lines().length >= 2) resolve();
      });
      child.on('close', () => reject(new Error(`tail ended early: ${err}`)));
    });
    const sent = await ingest(w.h, { events: [event({ name: 'tail_probe', message: 'probe', user_id: 'u9' })] });
    assert.equal(sent.statusCode, 200, sent.body);
    const [code] = (await exited) as [number];
    assert.equal(code, 0, err);
    const printed = lines().map((l) => JSON.parse(l) as { name: string });
    assert.equal(printed.length, 3);
    assert.equal(printed[2]?.name, 'tail_probe');
  });
});
