import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { defaultPermissions, rolePermissions } from '@strix/contracts';
import { createOwnerLink, type ControlPlane } from '@strix/control';
import { principal, testApp } from '@strix/testkit/apps';
import { seedProjects } from '@strix/testkit/control';
import type { SmtpReceiver } from '@strix/testkit/smtp';
import { mailTo, personFrom, signInByCode, signInMailParts, startPeopleApp, type PeopleApp } from './people.fixture.ts';

describe('sign-in and sessions API', () => {
  let people: PeopleApp;
  let control: ControlPlane;
  let receiver: SmtpReceiver;
  let app: FastifyInstance;
  let teamId = '';

  before(async () => {
    people = await startPeopleApp({
      mail: { from: 'Strix <strix@test.example>', publicUrl: 'https://strix.test.example/' },
      principals: [principal('agent-key', 'agent', defaultPermissions.agent, 'p1')],
      seed: async (c) => {
        teamId = await seedProjects(c, { id: 'p1', name: 'Shop' });
      },
    });
    ({ app, control, receiver } = people);
  });

  after(() => people.close());

  const sendCode = (email: unknown) => app.inject({ method: 'POST', url: '/v1/auth/send-code', payload: { email } });
  const message = (res: { json: <T>() => T }) => res.json<{ message: string }>().message;

  it('signs in by the mailed code: an HTTP-only, SameSite=Lax session cookie and a readable CSRF cookie; the account is made on first use', async () => {
    const seen = receiver.received.length;
    const sent = await sendCode('Ana@Example.com');
    assert.equal(sent.statusCode, 202, sent.body);
    const mail = await mailTo(receiver, 'ana@example.com', seen);
    assert.equal(mail.from?.value[0]?.address, 'strix@test.example');
    const { code, link } = signInMailParts(mail);
    assert.match(link, /^https:\/\/strix\.test\.example\/v1\/auth\/link\//, 'links use the public address');

    const verified = await app.inject({ method: 'POST', url: '/v1/auth/verify', payload: { email: 'ana@example.com', code } });
    assert.equal(verified.statusCode, 200, verified.body);
    const body = verified.json<{ user: { email: string }; created: boolean; teams: unknown[] }>();
    assert.equal(body.user.email, 'ana@example.com');
    assert.equal(body.created, true);
    assert.deepEqual(body.teams, []);
    const session = verified.cookies.find((c) => c.name === 'strix_session');
    const csrf = verified.cookies.find((c) => c.name === 'strix_csrf');
    assert.equal(session?.httpOnly, true);
    assert.equal(session?.sameSite, 'Lax');
    assert.ok(csrf && !csrf.httpOnly, 'the CSRF cookie is readable by the page');
    assert.ok(session.expires && session.expires.getTime() > Date.now() + 29 * 24 * 3600_000, 'sessions last 30 days');

    const ana = personFrom(app, verified, 'ana@example.com');
    const me = await ana.call('GET', '/v1/me');
    assert.equal(me.statusCode, 200, me.body);
    assert.deepEqual(me.json<{ type: string; user: { email: string } }>().user.email, 'ana@example.com');
    const again = await app.inject({ method: 'POST', url: '/v1/auth/verify', payload: { email: 'ana@example.com', code } });
    assert.equal(again.statusCode, 400);
    assert.match(message(again), /^code: this code was already used/);
  });

  it('answers alike for a known and an unknown address', async () => {
    await signInByCode(app, receiver, 'known@example.com');
    const known = await sendCode('known@example.com');
    const unknown = await sendCode('never-seen@example.com');
    assert.equal(known.statusCode, 202);
    assert.equal(unknown.statusCode, 202);
    const shape = (res: typeof known, email: string) => ({ ...res.json<Record<string, string>>(), email: '', message: message(res).replace(email, ''), expires_at: '' });
    assert.deepEqual(shape(known, 'known@example.com'), shape(unknown, 'never-seen@example.com'));
    await mailTo(receiver, 'never-seen@example.com');
  });

  it('signs in with the one-click link and redirects to /, once; opening the link only shows its button', async () => {
    const seen = receiver.received.length;
    await sendCode('lee@example.com');
    const { link } = signInMailParts(await mailTo(receiver, 'lee@example.com', seen));
    const path = new URL(link).pathname;
    // What a browser, a mail preview or a link scanner gets: a page, and the link still works.
    for (const accept of [undefined, 'text/html,application/xhtml+xml,*/*;q=0.8', '*/*']) {
      const page = await app.inject({ method: 'GET', url: path, headers: accept === undefined ? {} : { accept } });
      assert.equal(page.statusCode, 200, page.body);
      assert.match(String(page.headers['content-type']), /^text\/html/);
      assert.ok(page.body.includes(`<form method="post" action="${path}">`), page.body);
      assert.ok(!page.cookies.some((c) => c.name === 'strix_session'), 'the page signs nobody in');
      assert.match(String(page.headers['content-security-policy']), /default-src 'none'/);
    }
    const opened = await app.inject({ method: 'POST', url: path, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: '' });
    assert.equal(opened.statusCode, 303, opened.body);
    assert.equal(opened.headers.location, '/');
    assert.ok(opened.cookies.some((c) => c.name === 'strix_session'));
    assert.ok(opened.cookies.every((c) => c.secure), 'Secure: people reach this Strix at an https address (TLS ended before it)');
    const reused = await app.inject({ method: 'POST', url: path });
    assert.equal(reused.statusCode, 400);
    assert.match(message(reused), /^token: this link was already used/);
  });

  it('needs a new code after 5 wrong ones', async () => {
    const seen = receiver.received.length;
    await sendCode('guess@example.com');
    const { code } = signInMailParts(await mailTo(receiver, 'guess@example.com', seen));
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    const verify = (c: string) => app.inject({ method: 'POST', url: '/v1/auth/verify', payload: { email: 'guess@example.com', code: c } });
    for (let i = 0; i < 4; i++) assert.match(message(await verify(wrong)), /wrong code; \d tr(y|ies) left/);
    assert.match(message(await verify(wrong)), /no longer works: ask for a new one/);
    const right = await verify(code);
    assert.equal(right.statusCode, 400);
    assert.match(message(right), /5 wrong tries/);
  });

  it('limits codes per address (known or not) and names the field of bad input', async () => {
    for (let i = 0; i < 5; i++) assert.equal((await sendCode('flood@example.com')).statusCode, 202);
    const limited = await sendCode('flood@example.com');
    assert.equal(limited.statusCode, 429);
    assert.match(message(limited), /^email: at most 5 codes per 15 minutes/);
    assert.ok(Number(limited.headers['retry-after']) > 0);

    assert.match(message(await sendCode('not an address')), /^body field email: must be an email address/);
    const empty = await app.inject({ method: 'POST', url: '/v1/auth/verify', payload: {} });
    assert.equal(empty.statusCode, 400);
    assert.match(message(empty), /^body field email: is required with code/);
    const letters = await app.inject({ method: 'POST', url: '/v1/auth/verify', payload: { email: 'a@example.com', code: 'abcdef' } });
    assert.match(message(letters), /^body field code: must be the 6 digits from the mail/);
  });

  it('refuses a change without the CSRF header; signs out', async () => {
    const sam = await signInByCode(app, receiver, 'sam@example.com');
    const forged = await sam.call('POST', '/v1/auth/sign-out', undefined, { csrf: false });
    assert.equal(forged.statusCode, 403);
    assert.match(message(forged), /x-strix-csrf header: required with a session cookie on POST/);
    assert.equal((await sam.call('GET', '/v1/me')).statusCode, 200, 'still signed in');
    const out = await sam.call('POST', '/v1/auth/sign-out');
    assert.equal(out.statusCode, 204);
    assert.equal((await sam.call('GET', '/v1/me')).statusCode, 401);
  });

  it('lists sessions, signs one out, and signs out everywhere', async () => {
    const laptop = await signInByCode(app, receiver, 'kai@example.com');
    const phone = await signInByCode(app, receiver, 'kai@example.com');
    const tablet = await signInByCode(app, receiver, 'kai@example.com');
    const listed = (await laptop.call('GET', '/v1/sessions')).json<{ sessions: { id: string; current: boolean }[] }>().sessions;
    assert.equal(listed.length, 3);
    assert.equal(listed.filter((s) => s.current).length, 1);
    const tabletId = (await tablet.call('GET', '/v1/sessions')).json<{ sessions: { id: string; current: boolean }[] }>().sessions.find((s) => s.current)!.id;
    assert.equal((await laptop.call('DELETE', `/v1/sessions/${tabletId}`)).statusCode, 204);
    assert.equal((await tablet.call('GET', '/v1/me')).statusCode, 401);
    assert.equal((await laptop.call('DELETE', `/v1/sessions/${tabletId}`)).statusCode, 404);

    const everywhere = await laptop.call('POST', '/v1/sessions/sign-out-everywhere', {});
    assert.equal(everywhere.statusCode, 200, everywhere.body);
    assert.deepEqual(everywhere.json(), { signed_out: 2 });
    assert.equal((await phone.call('GET', '/v1/me')).statusCode, 401);
    assert.equal((await laptop.call('GET', '/v1/me')).statusCode, 401);
  });

  it('makes the owner link’s user an owner, who then acts on the team’s project with the x-strix-project header', async () => {
    const { token } = await control.db.transaction((tx) => createOwnerLink(tx, teamId));
    const opened = await app.inject({ method: 'POST', url: `/v1/auth/link/${token}?email=Boss@Example.com` });
    assert.equal(opened.statusCode, 303, opened.body);
    const boss = personFrom(app, opened, 'boss@example.com');
    const me = (await boss.call('GET', '/v1/me')).json<{ teams: { id: string; role: string; projects: { id: string; permissions: string[] }[] }[] }>();
    assert.deepEqual(me.teams.map((t) => [t.id, t.role, t.projects.map((p) => p.id)]), [[teamId, 'owner', ['p1']]]);
    assert.deepEqual(me.teams[0]!.projects[0]!.permissions, [...rolePermissions.owner]);
    const project = await app.inject({ method: 'GET', url: '/v1/project', headers: { cookie: boss.cookie, 'x-strix-project': 'p1' } });
    assert.equal(project.statusCode, 200, project.body);

    // A download link names the project in its query instead (the export route only): a link cannot send a header.
    const link = (url: string, method: 'GET' | 'POST' = 'GET') => app.inject({ method, url, headers: { cookie: boss.cookie } });
    const exported = await link('/v1/events/export?project=p1&format=csv');
    assert.equal(exported.statusCode, 200, exported.body);
    assert.match(String(exported.headers['content-disposition']), /^attachment; filename="events-/);
    assert.equal((await link('/v1/events/export?project=nope&format=csv')).statusCode, 404, 'a project the person is not in');
    const elsewhere = await link('/v1/project?project=p1');
    assert.equal(elsewhere.statusCode, 400, 'other routes still need the header');
    assert.match(elsewhere.json<{ message: string }>().message, /^x-strix-project header: required/);
  });

  it('tells a key who it is on /v1/me, and keeps keys off the routes only people use', async () => {
    const me = await app.inject({ method: 'GET', url: '/v1/me', headers: { authorization: 'Bearer agent-key' } });
    assert.equal(me.statusCode, 200, me.body);
    assert.deepEqual(me.json(), {
      type: 'key', key_type: 'agent', prefix: 'agent-ke', team_id: null, project_id: 'p1', app_id: null, platform: null, permissions: [...defaultPermissions.agent], expires_at: null,
    });
    const sessions = await app.inject({ method: 'GET', url: '/v1/sessions', headers: { authorization: 'Bearer agent-key' } });
    assert.equal(sessions.statusCode, 403);
    assert.equal((await app.inject({ method: 'GET', url: '/v1/me' })).statusCode, 401);
  });

  it('without SMTP, answers 503 and says how the owner signs in', async () => {
    const { app: bare } = await testApp({ principals: [], api: { warehouse: people.warehouse, control }, sessions: control });
    try {
      const res = await bare.inject({ method: 'POST', url: '/v1/auth/send-code', payload: { email: 'a@example.com' } });
      assert.equal(res.statusCode, 503);
      assert.equal(res.json<{ error: string }>().error, 'unavailable');
      assert.match(message(res), /SMTP is not configured .*STRIX_PRINT_SIGNIN=1/);
    } finally {
      await bare.close();
    }
  });
});
