import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ParsedMail } from 'mailparser';
import { startSmtpReceiver, type SmtpReceiver } from '@strix/testkit/smtp';
import { type IssueAlertFrequency } from '@strix/contracts';
import { addDigestRecipient, removeDigestRecipient, systemActor, type ControlPlane } from '@strix/control';
import { openTestControl, seedProjects } from '@strix/testkit/control';
import { listIssueDigests, migrate, sqlDir } from '@strix/warehouse';
import { ChdbWarehouse } from '@strix/warehouse/chdb';
import { composeIssueDigest, IssueDigestDeliveryError, issueDigestWindowEnd, sendIssueDigests } from '@strix/issues';
// The issues service's digest delivery through the real SMTP adapter, so 4xx/5xx replies reach the retry logic as
// they would in production. It lives here, beside the adapter, because issues/ sits below workflows/.
import { SmtpMailer } from './smtp-mailer.ts';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
// Relative to the real clock: the delivery log's TTL runs on it too.
const today = Math.floor(Date.now() / DAY) * DAY;
const now = today + 9.5 * HOUR;
const publicUrl = 'https://strix.example.com/';

const recipientOf = (mail: ParsedMail) => (Array.isArray(mail.to) ? mail.to[0] : mail.to)?.value[0]?.address;
const htmlOf = (mail: ParsedMail | undefined) => (typeof mail?.html === 'string' ? mail.html : '');

interface IssueFixture {
  project?: string;
  status: 'new' | 'in_progress' | 'resolved' | 'silenced' | 'regressed';
  activity: number;
  isDev?: boolean;
  snoozedUntil?: number;
  mergedInto?: string;
  title?: string;
}

async function insertIssue(wh: ChdbWarehouse, id: string, f: IssueFixture): Promise<void> {
  const project_id = f.project ?? 'p1';
  await wh.insert('issues', [
    {
      project_id, issue_id: id, app_id: 'web', is_dev: f.isDev ?? false, title: f.title ?? `Error ${id}`,
      culprit: `src/${id}.ts in handler`, exception_type: 'Error', grouping_config: 'strix-2', status: f.status,
      resolved_at: null, resolved_at_version: '', snoozed_until: f.snoozedUntil ?? null, regressed_at: null,
      regressed_in_version: '', created_at: today - 10 * DAY, updated_at: today - 10 * DAY, merged_into: f.mergedInto ?? '',
      version: 1,
    },
  ]);
  await wh.insert('issue_stats', [
    {
      project_id, issue_id: id, occurrences: 12, users: 3, first_seen: today - 10 * DAY, last_seen: f.activity - 1_000,
      last_activity_at: f.activity, last_app_version: '2.4.1', version: 1,
    },
  ]);
}

describe('issue digests on chDB over real SMTP', () => {
  let dir: string;
  let wh: ChdbWarehouse;
  let control: ControlPlane;
  let teamId: string;
  let receiver: SmtpReceiver;
  let mailer: SmtpMailer;
  const run = (at: number) =>
    sendIssueDigests({
      warehouse: wh, directory: control, mailer, from: 'Strix <strix@example.com>', publicUrl, now: () => at, retry: { attempts: 3, baseDelayMs: 1 },
    });
  const addMember = (projectId: string, recipient: { email: string; name?: string; since: number }) =>
    control.db.transaction((tx) => addDigestRecipient(tx, teamId, projectId, recipient, systemActor('test')));
  const mailsTo = (email: string) => receiver.received.filter((m) => recipientOf(m) === email);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strix-notify-'));
    wh = new ChdbWarehouse(join(dir, 'chdb'));
    await migrate(wh, sqlDir);
    receiver = await startSmtpReceiver();
    mailer = new SmtpMailer(receiver.url, { connectionTimeoutMs: 2_000 });

    control = await openTestControl();
    const project = (id: string, name: string, issue_alert_frequency: IssueAlertFrequency) => ({ id, name, issue_alert_frequency });
    teamId = await seedProjects(
      control,
      { ...project('p1', 'Checkout & <Payments>', 'daily'), apps: [{ id: 'web', name: 'Web app', platform: 'web' }] },
      project('p-none', 'Silent', 'none'),
      project('p-weekly', 'Weekly', 'weekly'),
    );

    const joined = today - 3 * DAY;
    await addMember('p1', { email: 'alice@example.com', name: 'Alice', since: joined });
    await addMember('p1', { email: 'bob@example.com', since: joined });
    await addMember('p1', { email: 'carol@example.com', since: joined });
    await control.db.transaction((tx) => removeDigestRecipient(tx, teamId, 'p1', 'carol@example.com', systemActor('test')));
    await addMember('p-none', { email: 'nina@example.com', since: joined });

    // Today's daily window is (today - 1 day, today].
    await insertIssue(wh, 'iss-new', { status: 'new', activity: today - 12 * HOUR, title: 'TypeError: <undefined> has no "id" & more' });
    await insertIssue(wh, 'iss-edge', { status: 'new', activity: today });
    await insertIssue(wh, 'iss-regressed', { status: 'regressed', activity: today - 6 * HOUR });
    await insertIssue(wh, 'iss-unsnoozed', { status: 'new', activity: today - 2 * HOUR, snoozedUntil: now - HOUR });
    await insertIssue(wh, 'iss-resolved', { status: 'resolved', activity: today - 5 * HOUR });
    await insertIssue(wh, 'iss-silenced', { status: 'silenced', activity: today - 5 * HOUR });
    await insertIssue(wh, 'iss-claimed', { status: 'in_progress', activity: today - 5 * HOUR });
    await insertIssue(wh, 'iss-dev', { status: 'new', activity: today - 5 * HOUR, isDev: true });
    await insertIssue(wh, 'iss-snoozed', { status: 'new', activity: today - 5 * HOUR, snoozedUntil: now + DAY });
    await insertIssue(wh, 'iss-merged', { status: 'new', activity: today - 5 * HOUR, mergedInto: 'iss-new' });
    await insertIssue(wh, 'iss-inactive', { status: 'new', activity: today - DAY });
    await insertIssue(wh, 'iss-later', { status: 'new', activity: now - HOUR });
    await insertIssue(wh, 'iss-none', { project: 'p-none', status: 'new', activity: today - 5 * HOUR });
  });

  after(async () => {
    await mailer.close();
    await receiver.close();
    await wh.close();
    await control.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('mails each current member one digest of exactly the new and regressed active production issues', async () => {
    const summary = await run(now);
    assert.equal(summary.sent, 2);
    assert.equal(summary.failed, 0);
    assert.deepEqual(receiver.received.map(recipientOf).sort(), ['alice@example.com', 'bob@example.com']);

    const [mail] = mailsTo('alice@example.com');
    assert.equal(mail?.subject, '[Strix] 3 new, 1 regressed issues in Checkout & <Payments>');
    assert.match(mail?.messageId ?? '', /^<digest-[0-9a-f]{32}@strix>$/);
    assert.notEqual(mail?.messageId, mailsTo('bob@example.com')[0]?.messageId, 'one digest id per recipient');
    assert.equal(mail?.headers.get('auto-submitted'), 'auto-generated');

    const listed = ['iss-regressed', 'iss-new', 'iss-edge', 'iss-unsnoozed'];
    const left = ['iss-resolved', 'iss-silenced', 'iss-claimed', 'iss-dev', 'iss-snoozed', 'iss-merged', 'iss-inactive', 'iss-later'];
    const text = mail?.text ?? '';
    const html = htmlOf(mail);
    for (const id of listed) {
      assert.ok(text.includes(`https://strix.example.com/issues/${id}?project=p1\n`), `text links ${id}`);
      assert.ok(html.includes(`href="https://strix.example.com/issues/${id}?project=p1"`), `html links ${id}`);
    }
    for (const id of left) {
      assert.ok(!text.includes(id) && !html.includes(id), `${id} is not in the digest`);
    }
    assert.ok(text.indexOf('[REGRESSED] Error iss-regressed') < text.indexOf('[NEW]'), 'regressed issues come first');
    assert.ok(text.includes('[NEW] TypeError: <undefined> has no "id" & more'));
    assert.ok(text.includes('  in src/iss-new.ts in handler'));
    assert.ok(text.includes('12 occurrences · 3 users · last seen '));
    assert.ok(text.includes('app Web app 2.4.1'));
    assert.ok(html.includes('TypeError: &lt;undefined&gt; has no &quot;id&quot; &amp; more'), 'titles are escaped');
    assert.ok(html.includes('Checkout &amp; &lt;Payments&gt;'), 'the project name is escaped');
    assert.ok(!html.includes('<undefined>') && !html.includes('<Payments>'));

    const log = await listIssueDigests(wh, 'p1');
    assert.deepEqual(
      log.map((r) => [r.recipient, r.status, r.attempt, r.issues, r.window_from, r.window_to]).sort(),
      [
        ['alice@example.com', 'sent', 1, 4, today - DAY, today],
        ['bob@example.com', 'sent', 1, 4, today - DAY, today],
      ],
    );
    assert.equal(log.find((r) => r.recipient === 'alice@example.com')?.message_id, mail?.messageId);
  });

  it('sends nothing again within the same slot, nor for frequency none', async () => {
    const summary = await run(now + HOUR);
    assert.equal(summary.recipientsDue, 0);
    assert.equal(summary.sent, 0);
    assert.equal(receiver.received.length, 2);
    assert.equal(mailsTo('nina@example.com').length, 0);
    assert.deepEqual(await listIssueDigests(wh, 'p-none'), []);
  });

  it('keeps delivering to the others when a recipient is rejected, records it, throws, and delivers the same window later', async () => {
    const tomorrow = now + DAY;
    await insertIssue(wh, 'iss-afternoon', { status: 'new', activity: now + 5 * HOUR });
    // Joins after this morning's digest: its first window starts when it joined.
    await addMember('p1', { email: 'dave@example.com', since: now + 2 * HOUR });
    receiver.reject = (rcpt) => {
      if (rcpt === 'bob@example.com') return { code: 450, text: 'mailbox temporarily unavailable' };
      if (rcpt === 'dave@example.com') return { code: 550, text: 'no such mailbox' };
      return undefined;
    };

    const error = await run(tomorrow).then(
      () => assert.fail('a failed recipient must fail the run'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof IssueDigestDeliveryError);
    assert.match(error.message, /bob@example\.com \(project p1, 3 attempts\): .*450 mailbox temporarily unavailable/);
    assert.match(error.message, /dave@example\.com \(project p1, 1 attempts\): .*550 no such mailbox/);
    assert.equal(error.summary.sent, 1);
    assert.equal(error.summary.failed, 2);

    const [alices] = mailsTo('alice@example.com').slice(1);
    assert.equal(alices?.subject, '[Strix] 2 new issues in Checkout & <Payments>');
    assert.ok(alices?.text?.includes('/issues/iss-later?project=p1\n') && alices.text.includes('/issues/iss-afternoon?project=p1\n'));
    assert.equal(mailsTo('bob@example.com').length, 1, 'only the first day reached bob');
    assert.equal(mailsTo('dave@example.com').length, 0);

    const bobs = await listIssueDigests(wh, 'p1', { recipient: 'bob@example.com' });
    const failedBob = bobs.filter((r) => r.window_to === today + DAY);
    assert.deepEqual(failedBob.map((r) => [r.attempt, r.status]).sort(), [[1, 'failed'], [2, 'failed'], [3, 'failed']]);
    assert.match(failedBob[0]?.error ?? '', /450/);
    const daves = await listIssueDigests(wh, 'p1', { recipient: 'dave@example.com' });
    assert.deepEqual(daves.map((r) => [r.attempt, r.status, r.issues]), [[1, 'failed', 1]], 'a 5xx is not retried');

    receiver.reject = () => undefined;
    const later = await run(tomorrow + HOUR);
    assert.equal(later.sent, 2);
    assert.equal(mailsTo('alice@example.com').length, 2, 'alice already had this window');
    const bobsRetry = mailsTo('bob@example.com')[1];
    assert.equal(bobsRetry?.subject, '[Strix] 2 new issues in Checkout & <Payments>');
    assert.equal(bobsRetry?.messageId, failedBob[0]?.message_id, 'the retried digest is the same message');
    const davesMail = mailsTo('dave@example.com')[0];
    assert.equal(davesMail?.subject, '[Strix] 1 new issue in Checkout & <Payments>');
    assert.ok(davesMail?.text?.includes('/issues/iss-afternoon?project=p1\n') && !davesMail.text.includes('iss-later'));
    const bobLog = await listIssueDigests(wh, 'p1', { recipient: 'bob@example.com' });
    assert.deepEqual(bobLog.filter((r) => r.window_to === today + DAY).map((r) => [r.attempt, r.status])[0], [4, 'sent']);

    assert.equal((await run(tomorrow + 2 * HOUR)).sent, 0, 'delivered once');
  });

  it('sends a weekly digest only once its slot (Monday 00:00 UTC) has ended', async () => {
    const start = now + DAY + 3 * HOUR;
    await addMember('p-weekly', { email: 'erin@example.com', since: start - HOUR });
    await insertIssue(wh, 'iss-weekly', { project: 'p-weekly', status: 'regressed', activity: start + 60_000 });
    const nextSlot = (issueDigestWindowEnd('weekly', start) ?? 0) + 7 * DAY;

    await run(start);
    await run(nextSlot - 1);
    assert.equal(mailsTo('erin@example.com').length, 0);
    await run(nextSlot + HOUR);
    const mails = mailsTo('erin@example.com');
    assert.equal(mails.length, 1);
    assert.equal(mails[0]?.subject, '[Strix] 1 regressed issue in Weekly');
    assert.ok(mails[0]?.text?.includes('https://strix.example.com/issues/iss-weekly?project=p-weekly\n'));
  });
});

describe('digest slots and content', () => {
  it('aligns windows to whole slots, weeks starting on Monday', () => {
    const at = Date.UTC(2025, 5, 11, 13, 5); // Wednesday
    assert.equal(issueDigestWindowEnd('hourly', at), Date.UTC(2025, 5, 11, 13));
    assert.equal(issueDigestWindowEnd('6_hourly', at), Date.UTC(2025, 5, 11, 12));
    assert.equal(issueDigestWindowEnd('daily', at), Date.UTC(2025, 5, 11));
    assert.equal(issueDigestWindowEnd('weekly', at), Date.UTC(2025, 5, 9));
    assert.equal(issueDigestWindowEnd('weekly', Date.UTC(2025, 5, 9)), Date.UTC(2025, 5, 9));
    assert.equal(issueDigestWindowEnd('none', at), undefined);
  });

  it('caps the listed issues but counts them all, and keeps one-line titles', () => {
    const issue = (n: number) => ({
      issue_id: `id/${n}`, app_id: 'a', status: 'new' as const, title: `Boom\r\nBcc: x@evil.example ${n}`, culprit: '',
      occurrences: 1234, users: 1, last_seen: Date.UTC(2025, 0, 1), last_activity_at: Date.UTC(2025, 0, 1), last_app_version: '',
    });
    const digest = composeIssueDigest({
      projectName: 'Shop\nX-Injected: yes', projectId: 'shop', frequency: 'hourly', publicUrl: 'https://s.example', windowFrom: 0, windowTo: HOUR,
      issues: [issue(1), issue(2)], totals: { new: 7, regressed: 0 },
    });
    assert.equal(digest.subject, '[Strix] 7 new issues in Shop X-Injected: yes');
    assert.ok(digest.text.includes('[NEW] Boom Bcc: x@evil.example 1\n'));
    assert.ok(digest.text.includes('1,234 occurrences · 1 user · last seen 2025-01-01 00:00 UTC'));
    assert.ok(digest.text.includes('https://s.example/issues/id%2F2?project=shop\n'));
    assert.ok(digest.text.includes('…and 5 more issues: https://s.example/issues?project=shop'));
    assert.ok(digest.html.includes('…and 5 more issues</a>'));
  });
});
