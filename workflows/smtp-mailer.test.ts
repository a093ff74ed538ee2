import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSmtpReceiver, type SmtpReceiver } from '@strix/testkit/smtp';
import { MailerError, type MailMessage } from '@strix/contracts';
import { SmtpMailer } from './smtp-mailer.ts';

const message = (to: string): MailMessage => ({
  from: 'Strix <strix@example.com>',
  to,
  subject: 'Ünïcode & <angles> in a subject',
  text: 'plain part\nsecond line',
  html: '<p>html <b>part</b></p>',
  messageId: '<digest-abc123@strix>',
  headers: { 'X-Strix-Digest': 'abc123' },
});

describe('SmtpMailer against an in-process SMTP server', () => {
  let receiver: SmtpReceiver;
  let mailer: SmtpMailer;

  before(async () => {
    receiver = await startSmtpReceiver();
    receiver.reject = (rcpt) => {
      if (rcpt.startsWith('busy@')) return { code: 450, text: 'mailbox busy, try later' };
      if (rcpt.startsWith('gone@')) return { code: 550, text: 'no such user' };
      return undefined;
    };
    mailer = new SmtpMailer(receiver.url, { connectionTimeoutMs: 2_000 });
  });

  after(async () => {
    await mailer.close();
    await receiver.close();
  });

  it('delivers a multipart message with its Message-ID and headers', async () => {
    const sent = await mailer.send(message('alice@example.com'));
    assert.equal(sent.messageId, '<digest-abc123@strix>');
    assert.equal(receiver.received.length, 1);
    const [mail] = receiver.received;
    assert.equal(mail?.subject, 'Ünïcode & <angles> in a subject');
    assert.equal(mail?.messageId, '<digest-abc123@strix>');
    assert.equal(mail?.from?.value[0]?.address, 'strix@example.com');
    assert.equal(mail?.from?.value[0]?.name, 'Strix');
    assert.equal(mail?.headers.get('x-strix-digest'), 'abc123');
    assert.equal(mail?.text?.trim(), 'plain part\nsecond line');
    assert.equal(mail?.html, '<p>html <b>part</b></p>');
    const to = Array.isArray(mail?.to) ? mail?.to[0] : mail?.to;
    assert.equal(to?.value[0]?.address, 'alice@example.com');
  });

  it('marks a 4xx rejection as retryable and a 5xx rejection as permanent', async () => {
    const busy = await mailer.send(message('busy@example.com')).then(
      () => assert.fail('a rejected recipient must fail the send'),
      (error: unknown) => error,
    );
    assert.ok(busy instanceof MailerError);
    assert.equal(busy.retry, true);
    assert.equal(busy.responseCode, 450);
    assert.match(busy.message, /mailbox busy/);

    const gone = await mailer.send(message('gone@example.com')).then(
      () => assert.fail('a rejected recipient must fail the send'),
      (error: unknown) => error,
    );
    assert.ok(gone instanceof MailerError);
    assert.equal(gone.retry, false);
    assert.equal(gone.responseCode, 550);

    // The pooled connection survives rejections: the next message still goes out.
    await mailer.send(message('bob@example.com'));
    assert.equal(receiver.received.length, 2);
  });

  it('marks a refused connection as retryable', async () => {
    const down = await startSmtpReceiver();
    await down.close();
    const unreachable = new SmtpMailer(down.url, { connectionTimeoutMs: 2_000 });
    try {
      const error = await unreachable.send(message('alice@example.com')).then(
        () => assert.fail('nothing listens there'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof MailerError);
      assert.equal(error.retry, true);
      assert.equal(error.responseCode, undefined);
    } finally {
      await unreachable.close();
    }
  });

  it('refuses a URL that is not smtp:// or smtps://', () => {
    assert.throws(() => new SmtpMailer('http://user:secret@mail.example.com'), (e: Error) => {
      assert.match(e.message, /smtp:\/\/ or smtps:\/\//);
      assert.doesNotMatch(e.message, /secret/, 'credentials stay out of the message');
      return true;
    });
  });
});
