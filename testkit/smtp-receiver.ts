import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { Mailer } from '@strix/contracts';
import { SmtpMailer } from '@strix/workflows';

export type Rejection = { code: number; text: string } | undefined;

export interface SmtpReceiver {
  url: string;
  /** Every message accepted so far, parsed. */
  received: ParsedMail[];
  /** Which recipients to refuse, and with what reply; change it between sends. */
  reject: (rcpt: string) => Rejection;
  close(): Promise<void>;
}

/** A real SMTP server in-process (no TLS, no auth): keeps what it accepted, refuses the recipients `reject` names. */
export async function startSmtpReceiver(): Promise<SmtpReceiver> {
  const received: ParsedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(address, _session, callback) {
      const rejection = receiver.reject(address.address);
      if (!rejection) return callback();
      callback(Object.assign(new Error(rejection.text), { responseCode: rejection.code }));
    },
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then((mail) => {
          received.push(mail);
          callback();
        })
        .catch(callback);
    },
  });
  const port = await new Promise<number>((resolve) => {
    const net = server.listen(0, '127.0.0.1', () => resolve((net.address() as AddressInfo).port));
  });
  const receiver: SmtpReceiver = {
    url: `smtp://127.0.0.1:${port}`,
    received,
    reject: () => undefined,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  return receiver;
}

/** Strix's own SMTP mailer, delivering to `receiver`: for suites above workflows/ that may not import it (api/). */
export const mailerTo = (receiver: SmtpReceiver): Mailer => new SmtpMailer(receiver.url);

/** The text of the first mail to `to` received after the first `seen` ones, waiting up to 15 s for it. */
export async function mailTextTo(receiver: SmtpReceiver, to: string, seen: number): Promise<string> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const mail = receiver.received.slice(seen).find((m) => [m.to ?? []].flat().some((a) => a.text.includes(to)));
    if (mail?.text) return mail.text;
    if (Date.now() > deadline) throw new Error(`no mail to ${to} within 15 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
