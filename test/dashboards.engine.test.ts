// The dashboard in Debian's Chromium (playwright-core) against a spawned embedded Strix: sign in with a
// code mailed through a real SMTP receiver, open an issue by the link a digest carries, comment (markdown
// that must not run script), resolve it in a version, and read it all back through the API. Screenshots of
// each page are written to test/screenshots/.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Browser, Page } from 'playwright-core';
import { issueUrl } from '@strix/issues';
import { launchChromium } from '@strix/testkit/chromium';
import { kill, spawnStrix, type StrixProcess } from '@strix/testkit/process';
import { mailTextTo, startSmtpReceiver, type SmtpReceiver } from '@strix/testkit/smtp';
import { funnelSteps, seedDashboard, seriousViolations } from './dashboards.fixture.ts';

const screenshots = join(import.meta.dirname, 'screenshots');

describe('the dashboard in Chromium', { timeout: 600_000 }, () => {
  let dir: string;
  let receiver: SmtpReceiver;
  let strix: StrixProcess;
  let browser: Browser;
  let page: Page;
  let credentials: Record<string, string>;
  let issueId = '';
  const scriptRan: string[] = [];
  const agent = (path: string) => fetch(`${strix.url}${path}`, { headers: { authorization: `Bearer ${credentials.agentKey}` } }).then((r) => r.json() as Promise<Record<string, unknown>>);
  const shot = (name: string) => page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });
  /** A JSON POST with a key, as an app (client key) or a script (agent key) sends it. */
  const postJson = (path: string, key: string | undefined, body: unknown) =>
    fetch(`${strix.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strix-dashboards-'));
    await mkdir(screenshots, { recursive: true });
    receiver = await startSmtpReceiver();
    strix = await spawnStrix({ STRIX_DATA_DIR: dir, STRIX_SMTP_URL: receiver.url, STRIX_MAIL_FROM: 'strix@test.example' });
    credentials = JSON.parse(await readFile(join(dir, 'credentials.json'), 'utf8')) as Record<string, string>;
    // The owner link of the first start makes owner@example.com the team's owner; the browser then signs in by code.
    const link = new URL(credentials.signInUrl!);
    const opened = await fetch(`${strix.url}${link.pathname}?email=owner@example.com`, { method: 'POST', redirect: 'manual' });
    assert.equal(opened.status, 303, await opened.text());

    await seedDashboard(postJson, credentials.clientKey!);
    const deadline = Date.now() + 30_000;
    while (!issueId) {
      const scan = (await fetch(`${strix.url}/v1/issues/scan`, { method: 'POST', headers: { authorization: `Bearer ${credentials.agentKey}` } }).then((r) => r.json())) as { created: { id: string }[] };
      issueId = scan.created[0]?.id ?? '';
      if (!issueId) {
        assert.ok(Date.now() < deadline, 'the errors reached the warehouse');
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }

    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    // A comment's script would open an alert; the page's own confirmations are answered by the test that expects them.
    page.on('dialog', (dialog) => {
      if (dialog.type() !== 'alert') return;
      scriptRan.push(dialog.message());
      void dialog.dismiss();
    });
  });

  after(async () => {
    await browser?.close();
    await kill(strix, 'SIGTERM');
    await receiver.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('signs in with the code mailed through SMTP and lists the project’s issues', async () => {
    await page.goto(strix.url);
    await page.getByLabel('Email').fill('owner@example.com');
    const seen = receiver.received.length;
    await shot('sign-in');
    await page.getByRole('button', { name: 'Email me a code' }).click();
    const code = /sign-in code is (\d{6})/.exec(await mailTextTo(receiver, 'owner@example.com', seen))?.[1];
    assert.ok(code, 'the mail carries the code');
    await page.getByLabel('Code').fill(code);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Issues' }).waitFor();
    const row = page.getByRole('row').filter({ hasText: 'TypeError' });
    await row.waitFor();
    const { apps } = (await agent('/v1/apps')) as { apps: { name: string }[] };
    assert.deepEqual(await row.getByRole('cell').allInnerTexts().then((cells) => cells.slice(2, 6)), [apps[0]?.name, '1.4.0', '2', '0'], 'app, version, occurrences, users');
    await shot('issues');
  });

  it('opens an issue from a digest’s link, comments in markdown without running script, and resolves it in a version', async () => {
    await page.goto(issueUrl(strix.url, credentials.projectId!, issueId));
    await page.getByRole('heading', { name: /TypeError/ }).waitFor();
    const comment = 'Fixed by **the cart guard**. <img src=x onerror="alert(1)"> [click](javascript:alert(2))';
    await page.getByLabel('Add a comment (markdown)').fill(comment);
    await page.getByRole('button', { name: 'Comment' }).click();
    const rendered = page.locator('.comment .markdown').first();
    await rendered.getByText('the cart guard').waitFor();
    assert.equal(await rendered.locator('strong').innerText(), 'the cart guard');
    assert.equal(await rendered.locator('img').count(), 0, 'raw HTML is shown as text, not made an element');
    assert.equal(await rendered.locator('a[href^="javascript"]').count(), 0, 'no javascript: link');

    await page.getByLabel('Move to').selectOption('resolved');
    await page.getByLabel('Fixed in version').fill('1.4.1');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByTestId('issue-status').filter({ hasText: 'Resolved' }).waitFor();
    await page.getByText('fixed in 1.4.1').waitFor();
    // Only the moves the lifecycle allows from resolved are offered.
    assert.deepEqual(await page.getByLabel('Move to').locator('option').allInnerTexts(), ['choose…', 'New']);
    await shot('issue');
    assert.deepEqual(scriptRan, [], 'no script from a comment ran');

    const detail = (await agent(`/v1/issues/${issueId}`)) as { issue: { status: string; resolved_at_version: string }; comments: { body: string; author_name: string }[] };
    assert.deepEqual([detail.issue.status, detail.issue.resolved_at_version], ['resolved', '1.4.1']);
    assert.deepEqual(detail.comments.map((c) => [c.body, c.author_name]), [[comment, 'owner@example.com']]);
  });

  it('snoozes and wakes an issue, merges another into it, and splits it back out', async () => {
    const error = (fn: string, message: string) => ({ name: 'error', level: 'error', message, session_id: `s-${fn}`, exception: { type: 'PaymentError', stacktrace: { frames: [{ function: fn, filename: 'src/pay.ts', lineno: 3, in_app: true }] } } });
    const sent = await postJson('/v1/ingest', credentials.clientKey, { events: [error('chargeCard', 'Card declined'), error('chargeWallet', 'Wallet declined')] });
    assert.equal(sent.status, 200);
    let created: { id: string; title: string }[] = [];
    for (const deadline = Date.now() + 30_000; created.length < 2; ) {
      const scan = (await fetch(`${strix.url}/v1/issues/scan`, { method: 'POST', headers: { authorization: `Bearer ${credentials.agentKey}` } }).then((r) => r.json())) as { created: { id: string; title: string }[] };
      created = [...created, ...scan.created];
      assert.ok(Date.now() < deadline, 'both errors became issues');
    }
    const card = created.find((c) => c.title.includes('Card'))!;
    const wallet = created.find((c) => c.title.includes('Wallet'))!;
    await page.goto(`${strix.url}/issues/${card.id}?project=${credentials.projectId}`);
    await page.getByRole('button', { name: '1 day' }).click();
    await page.getByText('Snoozed until').waitFor();
    await page.getByRole('button', { name: 'Wake' }).click();
    await page.getByRole('button', { name: '1 day' }).waitFor();

    await page.getByLabel(wallet.title).check();
    await page.getByRole('button', { name: 'Merge', exact: true }).click();
    const splits = page.getByRole('button', { name: 'Split out' });
    await splits.first().waitFor();
    assert.equal(await splits.count(), 2, 'both fingerprints are the card issue’s now');
    const walletGone = (await fetch(`${strix.url}/v1/issues/${wallet.id}`, { headers: { authorization: `Bearer ${credentials.agentKey}` } }).then((r) => r.json())) as { message: string };
    assert.match(walletGone.message, new RegExp(`merged into ${card.id}`));
    await page.getByLabel(wallet.title).waitFor({ state: 'detached' });
    await shot('issue-merged');
    await splits.nth(1).click();
    await page.waitForURL((u) => u.pathname.startsWith('/issues/') && !u.pathname.endsWith(card.id));
    await page.getByTestId('issue-status').filter({ hasText: 'New' }).waitFor();
    const back = (await agent(`/v1/issues/${card.id}`)) as { fingerprints: unknown[] };
    assert.equal(back.fingerprints.length, 1, 'split back out');
  });

  it('builds a 3-step funnel whose table shows the counts the API answers, saves it and reopens it by its link', async () => {
    await page.goto(`${strix.url}/funnels?project=${credentials.projectId}`);
    await page.getByLabel('Step 1 event').fill(funnelSteps[0]!);
    await page.getByLabel('Step 2 event').fill(funnelSteps[1]!);
    await page.getByRole('button', { name: 'Add a step' }).click();
    // The autocomplete offers the project's names containing what is typed.
    await page.getByLabel('Step 3 event').fill('PAI');
    await page.waitForFunction(() => [...document.querySelectorAll('#event-names option')].map((o) => (o as HTMLOptionElement).value).join() === 'paid');
    await page.getByLabel('Step 3 event').fill(funnelSteps[2]!);
    await page.getByRole('button', { name: 'Run' }).click();
    const counts = async () => {
      const table = page.locator('table.funnel-steps');
      await table.waitFor();
      return (await table.locator('tbody tr td:nth-child(2)').allInnerTexts()).map(Number);
    };
    const shown = await counts();
    // The same question to the API: the page's range is the last 7 days, production data.
    const question = { steps: funnelSteps.map((event) => ({ event })), mode: 'closed', window_seconds: 86_400, from: Date.now() - 7 * 86_400_000, to: Date.now() };
    const asked = await postJson('/v1/funnels/query', credentials.agentKey, question).then((r) => r.json() as Promise<{ groups: { steps: { count: number }[] }[] }>);
    assert.deepEqual(shown, asked.groups[0]?.steps.map((s) => s.count));
    assert.deepEqual(shown, [4, 2, 1]);
    // Its conversion over time: the trend table's rows are the API's points, newest first.
    const trend = await postJson('/v1/funnels/trend', credentials.agentKey, question).then((r) => r.json() as Promise<{ points: { period: string; entered: number; converted: number }[] }>);
    const trendRows = page.locator('table.trend tbody tr');
    await trendRows.first().waitFor();
    const cells = await trendRows.evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('td')].slice(0, 3).map((td) => td.textContent ?? '')));
    assert.deepEqual(cells, [...trend.points].reverse().map((p) => [p.period, String(p.entered), String(p.converted)]));
    assert.deepEqual([trend.points.reduce((n, p) => n + p.entered, 0), trend.points.reduce((n, p) => n + p.converted, 0)], [4, 1]);
    await shot('funnel');

    await page.getByLabel('Save this funnel as').fill('Checkout');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('heading', { name: 'Checkout' }).waitFor();
    const link = page.url();
    assert.match(new URL(link).pathname, /^\/funnels\/fnl_/);
    await page.goto(link);
    assert.deepEqual(await counts(), [4, 2, 1], 'the saved funnel reopens from its link');
    const saved = (await agent('/v1/funnels')) as { funnels: { name: string; steps: { event: string }[] }[] };
    assert.deepEqual(saved.funnels.map((f) => [f.name, f.steps.map((s) => s.event)]), [['Checkout', funnelSteps]]);
  });

  it('creates a key whose secret is shown once and works, then revokes it so it stops working', async () => {
    await page.goto(`${strix.url}/settings/keys?project=${credentials.projectId}`);
    await page.getByLabel('Name').fill('CI reader');
    await page.getByLabel('Expires').selectOption('30');
    await page.getByRole('button', { name: 'Create key' }).click();
    const secret = await page.getByTestId('secret').innerText();
    assert.match(secret, /^strix_agent_[0-9a-f]{48}$/);
    const me = (key: string) => fetch(`${strix.url}/v1/me`, { headers: { authorization: `Bearer ${key}` } });
    // Keys reach every process within a second or two (the registry's poll).
    const until = async (status: number) => {
      const deadline = Date.now() + 5_000;
      while ((await me(secret)).status !== status) {
        assert.ok(Date.now() < deadline, `the key answers ${status}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    await until(200);
    const row = page.getByRole('row').filter({ hasText: 'CI reader' });
    const shown = /expiring until ([^\t\n]+)/.exec(await row.innerText());
    assert.match(await row.innerText(), /agent\s+strix_agent_\w{4}…\s+expiring until/);
    assert.ok(shown && Math.abs(Date.parse(shown[1]!) - (Date.now() + 30 * 86_400_000)) < 86_400_000, `expires in 30 days: ${shown?.[1]}`);
    await shot('keys');
    page.once('dialog', (dialog) => void dialog.accept());
    await row.getByRole('button', { name: 'Revoke CI reader' }).click();
    await row.getByText('revoked').waitFor();
    await until(401);
  });

  it('shows an event sent now in the live view within 10 seconds, without a reload', async () => {
    await page.goto(`${strix.url}/audience?project=${credentials.projectId}`);
    const people = page.getByTestId('live-people');
    await people.waitFor();
    const before = Number(await people.innerText());
    const sent = Date.now();
    const tracked = await postJson('/v1/track:batch', credentials.clientKey, { events: [{ name: 'screen_view', user_id: 'live-visitor', screen_name: '/pricing', timestamp: sent }] });
    assert.equal(tracked.status, 200);
    await page.waitForFunction((n) => Number(document.querySelector('[data-testid="live-people"]')?.textContent) > n, before, { timeout: 10_000 });
    console.log(`live view showed the event ${Date.now() - sent} ms after it was sent`);
    await page.getByRole('table', { name: 'Routes' }).getByText('/pricing').waitFor({ timeout: 10_000 });
    await shot('audience');
  });

  it('shows where sessions leave, and a user’s properties and merged timeline of events and errors', async () => {
    const t = Date.now() - 10 * 60_000;
    const views = [['/home', 0], ['/pricing', 40_000], ['/home', 100_000]] as const;
    const sent = await postJson('/v1/track:batch', credentials.clientKey, {
        events: [
          ...views.map(([route, at]) => ({ name: '$pageview', user_id: 'pat', session_id: 'pat-1', screen_name: route, timestamp: t + at })),
          { name: 'signed_up', user_id: 'pat', session_id: 'pat-1', timestamp: t + 1000, $set: { plan: 'pro', country_of_billing: 'FR' } },
        ],
      });
    assert.equal(sent.status, 200, await sent.text());
    const failed = await postJson('/v1/ingest', credentials.clientKey, { events: [{ name: 'error', level: 'error', message: 'Price list failed to load', user_id: 'pat', session_id: 'pat-1', timestamp: t + 50_000 }] });
    assert.equal(failed.status, 200, await failed.text());

    // The audience page's screens: /home was left once (the session's last view), /pricing dwelt 60 s.
    const deadline = Date.now() + 20_000;
    for (;;) {
      await page.goto(`${strix.url}/audience?project=${credentials.projectId}`);
      const home = page.locator('table.screens tbody tr').filter({ has: page.getByRole('cell', { name: '/home', exact: true }) });
      await page.locator('table.screens').waitFor();
      if ((await home.count()) === 1 && /^\/home\s+2\s+1\s+1\s+50\.0%\s+40s$/.test((await home.innerText()).trim())) break;
      assert.ok(Date.now() < deadline, `the screens table shows /home's exits: ${await home.innerText().catch(() => 'no row')}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const pricing = page.locator('table.screens tbody tr').filter({ has: page.getByRole('cell', { name: '/pricing', exact: true }) });
    assert.match((await pricing.innerText()).trim(), /^\/pricing\s+\d+\s+\d+\s+0\s+0\.0%\s+60s$/);

    await page.getByLabel('User id').fill('pat');
    await page.getByRole('button', { name: 'Open user' }).click();
    await page.getByRole('heading', { name: 'User pat' }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/users/pat');
    await page.getByRole('cell', { name: 'pro', exact: true }).waitFor();
    const timeline = page.locator('table.timeline tbody tr');
    await timeline.first().waitFor();
    const kinds = await timeline.evaluateAll((rows) => rows.map((r) => [r.querySelector('.badge')?.textContent, r.children[2]?.textContent]));
    assert.deepEqual(kinds, [['event', '$pageview'], ['error', 'error'], ['event', '$pageview'], ['event', 'signed_up'], ['event', '$pageview']], 'newest first, events and errors merged');
    await page.getByLabel('Errors only').check();
    await page.waitForURL(/only=error/);
    await page.waitForFunction(() => document.querySelectorAll('table.timeline tbody tr').length === 1);
    assert.match(await timeline.first().innerText(), /Price list failed to load/);
    await shot('user');
  });

  it('lists metrics with their success rate and opens a metric’s series with its percentiles', async () => {
    await page.goto(`${strix.url}/performance?project=${credentials.projectId}`);
    const row = page.getByRole('row').filter({ hasText: 'screen_load' });
    await row.waitFor();
    assert.match(await row.innerText(), /50\.0%/);
    await row.getByRole('link', { name: 'screen_load' }).click();
    await page.getByRole('heading', { name: 'screen_load' }).waitFor();
    const summary = page.getByRole('table', { name: 'Over the range' });
    assert.match(await summary.innerText(), /Success\s+50\.0%/);
    assert.match(await summary.innerText(), /p50 \/ p95 \/ p99\s+200 ms/);
    await page.getByLabel('Group by').selectOption('app_version');
    await page.waitForURL(/group_by=app_version/);
    await shot('metric');
  });

  it('explores events with filters from the URL, shows an event’s JSON, and tails new ones live', async () => {
    await page.goto(`${strix.url}/events?project=${credentials.projectId}&name=view_cart`);
    const rows = page.locator('table.events tbody tr');
    await rows.first().waitFor();
    assert.equal(await rows.count(), 4, 'the four view_cart events');
    await rows.first().getByRole('button').click();
    const json = JSON.parse(await page.locator('pre.json').innerText()) as { name: string; user_id: string };
    assert.equal(json.name, 'view_cart');
    // The explorer's filters go into its export: four view_cart events, read back by DuckDB.
    await page.getByLabel('Export the filtered events as').selectOption('parquet');
    const [file] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Export' }).click()]);
    assert.match(file.suggestedFilename(), /^events-.*\.parquet$/);
    const saved = join(dir, 'export.parquet');
    await file.saveAs(saved);
    const duck = await (await DuckDBInstance.create(':memory:')).connect();
    const read = await duck.runAndReadAll(`SELECT count(*), min(name), max(name) FROM read_parquet('${saved}')`);
    duck.closeSync();
    assert.deepEqual(read.getRows()[0]?.map(String), ['4', 'view_cart', 'view_cart']);
    await page.goto(`${strix.url}/events?project=${credentials.projectId}&name=tail_probe&tail=1`);
    await page.getByText('No events match.').waitFor();
    const sent = await postJson('/v1/track:batch', credentials.clientKey, { events: [{ name: 'tail_probe', user_id: 'tailer', timestamp: Date.now() }] });
    assert.equal(sent.status, 200);
    await page.getByRole('cell', { name: 'tail_probe' }).first().waitFor({ timeout: 10_000 });
    assert.equal(await rows.count(), 1, 'added once, without a reload');
    await shot('events');
  });

  it('adds an app, renames it, reads only its data when it is chosen, and deletes it', async () => {
    await page.goto(`${strix.url}/settings?project=${credentials.projectId}`);
    await page.getByLabel('New app').fill('Kiosk');
    await page.getByLabel('Platform').selectOption('backend');
    await page.getByRole('button', { name: 'Create app' }).click();
    await page.getByTestId('secret').waitFor();
    page.once('dialog', (dialog) => void dialog.accept('Kiosk (lobby)'));
    await page.getByRole('row').filter({ hasText: 'Kiosk' }).getByRole('button', { name: 'Rename' }).click();
    await page.getByRole('cell', { name: 'Kiosk (lobby)', exact: true }).waitFor();
    const { apps } = (await agent('/v1/apps')) as { apps: { id: string; name: string }[] };
    const kiosk = apps.find((a) => a.name === 'Kiosk (lobby)');
    assert.ok(kiosk, 'the rename reached the API');

    // The header's app picker narrows every page: the new app has no issues and no events yet.
    await page.goto(`${strix.url}/issues?project=${credentials.projectId}&status=`);
    await page.getByRole('row').filter({ hasText: 'TypeError' }).first().waitFor();
    await page.getByLabel('App', { exact: true }).selectOption(kiosk.id);
    await page.waitForURL(new RegExp(`app=${kiosk.id}`));
    await page.getByText('No issues match.').waitFor();
    await page.getByRole('link', { name: 'Events' }).click();
    await page.waitForURL(new RegExp(`/events\\?.*app=${kiosk.id}`));
    await page.getByText('No events match.').waitFor();
    await page.getByLabel('App', { exact: true }).selectOption('');
    await page.locator('table.events tbody tr').first().waitFor();

    await page.goto(`${strix.url}/settings?project=${credentials.projectId}`);
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('row').filter({ hasText: 'Kiosk (lobby)' }).getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('cell', { name: 'Kiosk (lobby)', exact: true }).waitFor({ state: 'detached' });
    const left = (await agent('/v1/apps')) as { apps: { name: string }[] };
    assert.ok(!left.apps.some((a) => a.name.startsWith('Kiosk')), 'deleted');
  });

  it('has no serious accessibility violations on any page (axe-core)', async () => {
    // axe runs inside the page; the app's CSP allows only its own scripts, so this context bypasses it.
    const context = await browser.newContext({ bypassCSP: true, storageState: await page.context().storageState(), viewport: { width: 1280, height: 800 } });
    const audited = await context.newPage();
    const found: string[] = [];
    try {
      for (const path of ['/issues', `/issues/${issueId}`, '/funnels', '/audience', '/users/pat', '/performance', '/performance/screen_load', '/events', '/settings', '/settings/keys', '/settings/members', '/settings/audit']) {
        await audited.goto(`${strix.url}${path}?project=${credentials.projectId}`);
        await audited.getByRole('heading', { level: 1 }).waitFor();
        await audited.waitForLoadState('networkidle');
        const violations = await seriousViolations(audited);
        found.push(...violations.map((v) => `${path}: ${v}`));
      }
    } finally {
      await context.close();
    }
    assert.deepEqual(found, []);
  });

  it('fits a phone screen and serves its assets for caching', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${strix.url}/issues?project=${credentials.projectId}&status=resolved`);
    await page.getByRole('row').filter({ hasText: 'TypeError' }).waitFor();
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 390), 'nothing overflows sideways');
    await shot('issues-phone');
    for (const path of ['/funnels', '/audience', '/users/pat', '/performance/screen_load', '/events', '/settings', '/settings/keys', `/issues/${issueId}`]) {
      await page.goto(`${strix.url}${path}?project=${credentials.projectId}`);
      await page.getByRole('heading', { level: 1 }).waitFor();
      await page.waitForLoadState('networkidle');
      assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 390), `${path} fits 390 px`);
    }
    const html = await fetch(`${strix.url}/issues`);
    assert.equal(html.headers.get('cache-control'), 'no-cache');
    assert.match(html.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(await html.text())?.[1];
    assert.ok(script);
    const asset = await fetch(`${strix.url}${script}`, { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(asset.status, 200);
    assert.equal(asset.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  });
});
