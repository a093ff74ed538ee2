// Signed-in people for the route suites: sign in through the real routes and a real SMTP receiver, then call with the cookies.
import assert from 'node:assert/strict';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import type { ParsedMail } from 'mailparser';
import type { Warehouse } from '@strix/contracts';
import type { ControlPlane } from '@strix/control';
import type { Principal } from '@strix/http';
import { testApp } from '@strix/testkit/apps';
import { openTestControl } from '@strix/testkit/control';
import { mailerTo, startSmtpReceiver, type SmtpReceiver } from '@strix/testkit/smtp';
import { openStore } from '@strix/testkit/stores';

export interface PeopleApp {
  app: FastifyInstance;
  warehouse: Warehouse;
  control: ControlPlane;
  receiver: SmtpReceiver;
  close(): Promise<void>;
}

/**
 * The API with sessions and sign-in mail through a real SMTP receiver, over its
 * own store and control plane; `seed` runs before the app is built (the keys'
 * projects must exist).
 */
export async function startPeopleApp(options: {
  mail: { from: string; publicUrl: string };
  principals?: Principal[];
  seed?: (control: ControlPlane) => Promise<void>;
}): Promise<PeopleApp> {
  const [store, control, receiver] = await Promise.all([openStore(), openTestControl(), startSmtpReceiver()]);
  const mailer = mailerTo(receiver);
  await options.seed?.(control);
  const { app } = await testApp({
    principals: options.principals ?? [],
    api: { warehouse: store.wh, control, mail: { mailer, ...options.mail } },
    sessions: control,
  });
  return {
    app,
    warehouse: store.wh,
    control,
    receiver,
    async close() {
      await app.close();
      await mailer.close();
      await receiver.close();
      await control.close();
      await store.close();
    },
  };
}

const recipients = (mail: ParsedMail) => [mail.to ?? []].flat().flatMap((a) => a.value.map((v) => v.address?.toLowerCase()));

/** The newest mail to `address` after `seen` messages, waiting for it to arrive. */
export async function mailTo(receiver: SmtpReceiver, address: string, seen = 0, timeoutMs = 10_000): Promise<ParsedMail> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const mail = receiver.received.slice(seen).filter((m) => recipients(m).includes(address.toLowerCase())).pop();
    if (mail) return mail;
    if (Date.now() > deadline) assert.fail(`no mail to ${address} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The 6-digit code and the link of a sign-in mail. */
export function signInMailParts(mail: ParsedMail): { code: string; link: string } {
  const code = /sign-in code is (\d{6})/.exec(mail.text ?? '')?.[1];
  const link = /(https?:\/\/\S+\/v1\/auth\/link\/[A-Za-z0-9_-]+)/.exec(mail.text ?? '')?.[1];
  assert.ok(code && link, `a code and a link in: ${mail.text}`);
  return { code, link };
}

export interface Person {
  email: string;
  userId: string;
  cookie: string;
  csrf: string;
  /** A request with the session cookies and the CSRF header (`csrf: false` leaves the header out). */
  call(method: InjectOptions['method'], url: string, payload?: object, options?: { csrf?: boolean }): Promise<LightMyRequestResponse>;
}

/** Someone holding the cookies of a sign-in answer. */
export function personFrom(app: FastifyInstance, res: LightMyRequestResponse, email: string): Person {
  const cookies = new Map(res.cookies.map((c) => [c.name, c.value]));
  const session = cookies.get('strix_session');
  const csrf = cookies.get('strix_csrf');
  assert.ok(session && csrf, `session cookies in ${JSON.stringify(res.cookies)}`);
  const cookie = `strix_session=${session}; strix_csrf=${csrf}`;
  const userId = res.statusCode === 200 ? res.json<{ user: { id: string } }>().user.id : '';
  return {
    email,
    userId,
    cookie,
    csrf,
    call: (method, url, payload, options = {}) =>
      app.inject({
        method,
        url,
        headers: { cookie, ...(options.csrf !== false && { 'x-strix-csrf': csrf }) },
        ...(payload && { payload }),
      }),
  };
}

/** Signs `email` in by the code mailed to it, as a person at a browser does. */
export async function signInByCode(app: FastifyInstance, receiver: SmtpReceiver, email: string): Promise<Person> {
  const seen = receiver.received.length;
  const sent = await app.inject({ method: 'POST', url: '/v1/auth/send-code', payload: { email } });
  assert.equal(sent.statusCode, 202, sent.body);
  const { code } = signInMailParts(await mailTo(receiver, email, seen));
  const verified = await app.inject({ method: 'POST', url: '/v1/auth/verify', payload: { email, code } });
  assert.equal(verified.statusCode, 200, verified.body);
  return personFrom(app, verified, email);
}
