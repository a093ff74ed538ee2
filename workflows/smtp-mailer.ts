import { createTransport } from 'nodemailer';
import { MailerError, type MailMessage, type Mailer, type SentMail } from '@strix/contracts';

export interface SmtpMailerOptions {
  /** Wait this long for the TCP/TLS connection (nodemailer's default is 2 minutes). */
  readonly connectionTimeoutMs?: number;
  /** Give up on a silent server after this long (nodemailer's default is 10 minutes). */
  readonly socketTimeoutMs?: number;
  /** Connections kept open to the server; a digest run sends one message per team member. */
  readonly maxConnections?: number;
}

interface NodemailerError extends Error {
  code?: string;
  responseCode?: number;
  response?: string;
}

/** Failures before the server ever judged the message: another try may well get through. */
const transientCodes = new Set(['ECONNECTION', 'ESOCKET', 'ETIMEDOUT', 'EDNS', 'EPROXY', 'ETLS']);
/** Our configuration or our message is wrong: the same message fails the same way every time. */
const permanentCodes = new Set(['EAUTH', 'ENOAUTH', 'ECONFIG', 'EMESSAGE', 'EENVELOPE', 'EMAXRECIPIENTS', 'EREQUIRETLS']);

/**
 * RFC 5321: 4yz replies are transient, 5yz permanent, except 503 (bad sequence
 * of commands), which says the session was in the wrong state, not that the
 * message was refused.
 */
function mayRetry(error: NodemailerError): boolean {
  const reply = error.responseCode;
  if (reply !== undefined) return !(reply >= 500 && reply < 600 && reply !== 503);
  if (error.code !== undefined && transientCodes.has(error.code)) return true;
  if (error.code !== undefined && permanentCodes.has(error.code)) return false;
  // Unknown failures (a dropped socket surfacing as a plain Error) are worth another try.
  return true;
}

function wrap(error: unknown): MailerError {
  const e = error as NodemailerError;
  // The server's reply is on e.message already; the message body is never part of it.
  const code = e.code ? ` [${e.code}]` : '';
  return new MailerError(`smtp send failed${code}: ${e.message ?? String(error)}`, mayRetry(e), e.responseCode);
}

/**
 * The Mailer port over SMTP (nodemailer). `url` is `smtp://[user:pass@]host:port`
 * (STARTTLS when the server offers it) or `smtps://…` (TLS from the first byte);
 * nodemailer's query options such as `?tls.rejectUnauthorized=false` apply.
 * Connections are pooled, so one digest run reuses them for every recipient.
 */
export class SmtpMailer implements Mailer {
  private readonly transport;

  constructor(url: string, options: SmtpMailerOptions = {}) {
    if (!/^smtps?:\/\//i.test(url)) {
      throw new Error(`SMTP URL must start with smtp:// or smtps://, got "${url.replace(/\/\/[^@/]*@/, '//***@')}"`);
    }
    this.transport = createTransport({
      url,
      pool: true,
      maxConnections: options.maxConnections ?? 2,
      connectionTimeout: options.connectionTimeoutMs ?? 15_000,
      greetingTimeout: options.connectionTimeoutMs ?? 15_000,
      socketTimeout: options.socketTimeoutMs ?? 60_000,
    });
  }

  async send(mail: MailMessage): Promise<SentMail> {
    try {
      const info = await this.transport.sendMail({
        from: mail.from,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        messageId: mail.messageId,
        ...(mail.headers && { headers: { ...mail.headers } }),
      });
      return { messageId: info.messageId };
    } catch (error) {
      throw wrap(error);
    }
  }

  async close(): Promise<void> {
    this.transport.close();
  }
}
