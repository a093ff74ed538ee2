// Sign-in on a spawned embedded Strix: the owner link of the first start, a code mailed through a real SMTP
// receiver, an invitation accepted, and the session used on a project's route.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { kill, spawnStrix, type StrixProcess } from '@strix/testkit/process';
import { mailTextTo, startSmtpReceiver, type SmtpReceiver } from '@strix/testkit/smtp';

const publicUrl = 'http://strix.test.example';

interface Browser {
  cookie: string;
  csrf: string;
}

/** The session of a sign-in answer's Set-Cookie headers. */
function browserOf(res: Response): Browser {
  const cookies = new Map(res.headers.getSetCookie().map((c) => c.split(';')[0]!.split('=') as [string, string]));
  const session = cookies.get('strix_session');
  const csrf = cookies.get('strix_csrf');
  assert.ok(session && csrf, `session cookies in ${res.headers.getSetCookie().join(' | ')}`);
  return { cookie: `strix_session=${session}; strix_csrf=${csrf}`, csrf };
}

describe('sign-in on embedded Strix', () => {
  let dir: string;
  let receiver: SmtpReceiver;
  let strix: StrixProcess;
  const env = () => ({ STRIX_DATA_DIR: dir, STRIX_SMTP_URL: receiver.url, STRIX_MAIL_FROM: 'strix@test.example', STRIX_PUBLIC_URL: publicUrl });
  const readCredentials = async () => JSON.parse(await readFile(join(dir, 'credentials.json'), 'utf8')) as Record<string, string>;
  const local = (link: string) => `${strix.url}${new URL(link).pathname}`;
  const call = (who: Browser, method: string, path: string, body?: object, headers: Record<string, string> = {}) =>
    fetch(`${strix.url}${path}`, {
      method,
      headers: { cookie: who.cookie, 'x-strix-csrf': who.csrf, ...(body && { 'content-type': 'application/json' }), ...headers },
      ...(body && { body: JSON.stringify(body) }),
    });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strix-sign-in-'));
    receiver = await startSmtpReceiver();
    strix = await spawnStrix(env());
  });

  after(async () => {
    await kill(strix, 'SIGTERM');
    await receiver.close();
    await rm(dir, { recursive: true, force: true });
  });

  let owner: Browser;

  it('prints the owner link of the first start and writes it beside the keys; it makes its user the owner', { timeout: 60_000 }, async () => {
    const credentials = await readCredentials();
    assert.deepEqual(Object.keys(credentials).sort(), ['agentKey', 'appId', 'clientKey', 'projectId', 'signInUrl']);
    assert.ok(credentials.signInUrl!.startsWith(`${publicUrl}/v1/auth/link/`), credentials.signInUrl);
    assert.ok(strix.output().includes(credentials.signInUrl!), 'the banner prints the link');

    // Opening the link shows its button; the button POSTs.
    const page = await fetch(local(credentials.signInUrl!));
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<form method="post"/);
    const opened = await fetch(`${local(credentials.signInUrl!)}?email=owner@example.com`, { method: 'POST', redirect: 'manual' });
    assert.equal(opened.status, 303, await opened.text());
    assert.equal(opened.headers.get('location'), '/');
    owner = browserOf(opened);
    const me = (await (await call(owner, 'GET', '/v1/me')).json()) as { teams: { role: string; projects: { id: string }[] }[] };
    assert.equal(me.teams[0]?.role, 'owner');
    assert.deepEqual(me.teams[0]?.projects.map((p) => p.id), [credentials.projectId]);
    assert.equal((await fetch(local(credentials.signInUrl!), { method: 'POST', redirect: 'manual' })).status, 400, 'one use');
  });

  it('signs a colleague in by an emailed code; invited, they use their session on /v1/project', { timeout: 60_000 }, async () => {
    const { projectId } = await readCredentials();
    const teamId = ((await (await call(owner, 'GET', '/v1/teams')).json()) as { teams: { id: string }[] }).teams[0]!.id;
    let seen = receiver.received.length;
    const invited = await call(owner, 'POST', `/v1/teams/${teamId}/invitations`, { email: 'pm@example.com', role: 'member' });
    assert.equal(invited.status, 201, await invited.clone().text());
    const inviteUrl = ((await invited.json()) as { invite_url: string }).invite_url;
    assert.ok((await mailTextTo(receiver, 'pm@example.com', seen)).includes(inviteUrl));

    seen = receiver.received.length;
    const sent = await fetch(`${strix.url}/v1/auth/send-code`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'pm@example.com' }) });
    assert.equal(sent.status, 202, await sent.text());
    const code = /sign-in code is (\d{6})/.exec(await mailTextTo(receiver, 'pm@example.com', seen))?.[1];
    assert.ok(code, 'the mail carries the code');
    const verified = await fetch(`${strix.url}/v1/auth/verify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'pm@example.com', code }) });
    assert.equal(verified.status, 200, await verified.clone().text());
    const pm = browserOf(verified);

    const outside = await call(pm, 'GET', '/v1/project', undefined, { 'x-strix-project': projectId! });
    assert.equal(outside.status, 404, 'not in the team yet: the project answers as a missing one');
    const accepted = await call(pm, 'POST', `${new URL(inviteUrl).pathname}/accept`);
    assert.equal(accepted.status, 200, await accepted.text());
    const project = await call(pm, 'GET', '/v1/project', undefined, { 'x-strix-project': projectId! });
    assert.equal(project.status, 200, await project.clone().text());
    assert.equal(((await project.json()) as { id: string }).id, projectId);
    const change = await call(pm, 'PATCH', '/v1/project', { name: 'Renamed' }, { 'x-strix-project': projectId! });
    assert.equal(change.status, 403, 'a member lacks projects:write');
  });

  it('prints a new owner link on a start with STRIX_PRINT_SIGNIN=1, keeping the other fields', { timeout: 90_000 }, async () => {
    const earlier = await readCredentials();
    await kill(strix, 'SIGTERM');
    strix = await spawnStrix({ ...env(), STRIX_PRINT_SIGNIN: '1' });
    const later = await readCredentials();
    assert.notEqual(later.signInUrl, earlier.signInUrl);
    assert.deepEqual({ ...later, signInUrl: '' }, { ...earlier, signInUrl: '' });
    assert.ok(strix.output().includes(later.signInUrl!));
    const opened = await fetch(local(later.signInUrl!), { method: 'POST', redirect: 'manual' });
    assert.equal(opened.status, 303);
    const me = (await (await call(browserOf(opened), 'GET', '/v1/me')).json()) as { user: { email: string } };
    assert.equal(me.user.email, 'owner@example.com', 'without an address the link signs the team’s owner in');
  });
});
