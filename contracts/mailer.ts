/**
 * The Mailer port: hands one message to a mail server. The SMTP adapter
 * (`SmtpMailer` in workflows/) implements it; digest logic only sees this
 * interface, so it never knows which transport or server it talks to.
 */

export interface MailMessage {
  readonly from: string;
  /** One recipient per message: a rejected address then fails only its own message. */
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  /**
   * RFC 5322 Message-ID, angle brackets included. A resend of the same content
   * carries the same id, so receiving systems can recognise the duplicate.
   */
  readonly messageId: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface SentMail {
  /** The Message-ID the message went out with. */
  readonly messageId: string;
}

export interface Mailer {
  /** Resolves once the server accepted the message; rejects with a `MailerError`. */
  send(mail: MailMessage): Promise<SentMail>;
  close(): Promise<void>;
}

/**
 * Errors carry whether sending the same message again may succeed: SMTP 4xx
 * replies and connection failures may, 5xx replies (a permanent rejection) won't.
 */
export class MailerError extends Error {
  constructor(
    message: string,
    readonly retry: boolean,
    /** The SMTP reply code, when the server answered with one. */
    readonly responseCode?: number,
  ) {
    super(message);
    this.name = 'MailerError';
  }
}
