/**
 * `strix login --email` as a person runs it: the code mailed by an embedded
 * Strix through a real SMTP receiver, typed back on stdin, and the session it
 * opens used by every command (reads, changes with the CSRF header), listed
 * without secrets, ended on the server by `strix logout`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { closedPortUrl } from '@strix/testkit/closed-port';
import { mailTextTo, startSmtpReceiver, type SmtpReceiver } from '@strix/testkit/smtp';
import { json, spawnStrix, startCliWorld, type CliWorld } from './cli.fixture.ts';

interface Issue {
  id: string;
  status: string;
}

interface SavedProfile {
  url: string;
  email?: string;
  session_token?: string;
  csrf_token?: string;
  expires_at?: string;
  project_id?: string;
}

const owner = 'owner@example.com';

describe('strix login --email against a running Strix that mails codes', { timeout: 180_000 }, () => {
  let receiver: SmtpReceiver;
  let w: CliWorld;
  /** The owner's browser session (the owner link), for what the CLI has no command for. */
  let browser: (method: string, path: string, body?: object) => Promise<Response>;
  const profilesFile = () => join(w.home, 'config', 'strix', 'profiles.json');
  const savedProfiles = async () => (JSON.parse(await readFile(profilesFile(), 'utf8')) as { profiles: Record<string, SavedProfile> }).profiles;

  before(async () => {
    receiver = await startSmtpReceiver();
    w = await startCliWorld({ STRIX_SMTP_URL: receiver.url, STRIX_MAIL_FROM: 'strix@test.example' });
    // The owner link of the first start makes owner@example.com the owner of the default project's team.
    const link = new URL(w.h.credentials.signInUrl ?? assert.fail('an owner link in the credentials'));
    const opened = await fetch(`${w.url}${link.pathname}?email=${owner}`, { method: 'POST', headers: { accept: 'application/json' } });
    assert.equal(opened.status, 200, await opened.clone().text());
    const cookies = new Map(opened.headers.getSetCookie().map((c) => c.split(';')[0]!.split('=') as [string, string]));
    const cookie = `strix_session=${cookies.get('strix_session')}; strix_csrf=${cookies.get('strix_csrf')}`;
    browser = (method, path, body) =>
      fetch(`${w.url}${path}`, {
        method,
        headers: { cookie, 'x-strix-csrf': cookies.get('strix_csrf') ?? '', ...(body && { 'content-type': 'application/json' }) },
        ...(body && { body: JSON.stringify(body) }),
      });
  });
  after(async () => {
    await w.close();
    await receiver.close();
  });

  /** The code of the next sign-in mail to `email` (call before the mail is asked for). */
  const nextCode = (email: string): Promise<string> => {
    const seen = receiver.received.length;
    return mailTextTo(receiver, email, seen).then((text) => /sign-in code is (\d{6})/.exec(text)?.[1] ?? assert.fail(`a code in: ${text}`));
  };
  /** `strix login --email`, answering the prompt with the mailed code (or what `answer` makes of it). */
  const login = (email: string, args: string[] = [], answer = (code: string) => `${code}\n`) =>
    w.strix(['login', '--email', email, '--url', w.url, ...args], { input: nextCode(email).then(answer) });

  it('refuses a wrong code with the refusal exit code, saving nothing', async () => {
    const wrong = await login('stranger@example.com', [], (code) => `${String((Number(code) + 1) % 1_000_000).padStart(6, '0')}\n`);
    assert.equal(wrong.code, 1, wrong.stderr);
    assert.match(wrong.stderr, /if stranger@example\.com can receive mail, a code and a link are on their way; the code works until /);
    assert.match(wrong.stderr, /the server refused the request \(400 [a-z_]+\): .*wrong code; 4 tries left/);
    await assert.rejects(stat(profilesFile()), { code: 'ENOENT' }, 'a refused code saves no profile');

    const teamless = await login('stranger@example.com');
    assert.equal(teamless.code, 2, teamless.stderr);
    assert.match(teamless.stderr, /stranger@example\.com is in no team with a project yet/);
    await assert.rejects(stat(profilesFile()), { code: 'ENOENT' });
  });

  it('signs in by the code into a private session profile; reads then work with it', async () => {
    const signed = await login(owner, [], (code) => `${code.slice(0, 3)} ${code.slice(3)}\n`);
    assert.equal(signed.code, 0, signed.stderr);
    assert.match(signed.stdout, new RegExp(`as ${owner}, on project .* \\(${w.h.credentials.projectId}\\); saved as profile default \\(the default\\)`));
    assert.match(signed.stdout, /This is a session, not a key: it lasts until \d{4}-\d\d-\d\dT[\d:.]+Z, longer as it is used; strix logout ends it/);
    assert.equal((await stat(profilesFile())).mode & 0o777, 0o600);
    const saved = (await savedProfiles()).default;
    assert.equal(saved?.email, owner);
    assert.equal(saved?.project_id, w.h.credentials.projectId);
    assert.ok(saved?.session_token && saved.csrf_token, 'the session and CSRF tokens are saved');
    assert.ok(Date.parse(saved.expires_at ?? '') > Date.now() + 24 * 3600_000, 'the cookie’s expiry is saved');

    const [project] = json<{ id: string }[]>(await w.strix(['projects', '-f', 'json']));
    assert.equal(project?.id, w.h.credentials.projectId);
    assert.ok(Array.isArray(json<Issue[]>(await w.strix(['issues', 'list', '-f', 'json']))));
    const keys = json<{ prefix: string; type: string; status: string }[]>(await w.strix(['keys', '-f', 'json']));
    assert.ok(keys.some((k) => k.type === 'agent' && w.h.credentials.agentKey.startsWith(k.prefix)), 'an admin lists the project’s keys, the agent key among them');
    const sql = await w.strix(['sql', 'SELECT 1']);
    assert.equal(sql.code, 2, sql.stderr);
    assert.match(sql.stderr, /SQL needs an agent key/);
  });

  it('changes issues with the session (the CSRF header is sent); a comment is signed by the person', async () => {
    assert.equal((await w.strix(['issues', 'scan'])).code, 0);
    const [issue] = json<Issue[]>(await w.strix(['issues', 'list', '-f', 'json']));
    assert.ok(issue, 'the scan made issues of the seeded errors');
    const comment = json<{ author_type: string; author_name: string; body: string }>(await w.strix(['issues', 'comment', issue.id, 'Looking into it', '-f', 'json']));
    assert.deepEqual([comment.author_type, comment.author_name, comment.body], ['user', owner, 'Looking into it']);
    const resolved = json<Issue>(await w.strix(['issues', 'resolve', issue.id, '-f', 'json']));
    assert.equal(resolved.status, 'resolved');
  });

  it('lists which profiles are keys and which are sessions, with no secret', async () => {
    assert.equal((await w.strix(['login', '--profile', 'agent', '--url', w.url, '--key', w.h.credentials.agentKey])).code, 0);
    const listed = json<{ name: string; type: string; email: string | null; key_prefix: string | null; expires_at: string | null }[]>(await w.strix(['profiles', '-f', 'json']));
    assert.deepEqual(
      listed.map((p) => [p.name, p.type, p.email, p.expires_at !== null]),
      [
        ['default', 'session', owner, true],
        ['agent', 'key', null, false],
      ],
    );
    const table = await w.strix(['profiles']);
    assert.match(table.stdout, /^default +name +type +url +project_id +signed_in_as +expires_at\n\* +default +session .* owner@example\.com /);
    const saved = await savedProfiles();
    for (const output of [JSON.stringify(listed), table.stdout, (await w.strix(['profiles', '-f', 'csv'])).stdout]) {
      for (const secret of [saved.default?.session_token, saved.default?.csrf_token, w.h.credentials.agentKey]) assert.ok(secret && !output.includes(secret), 'no secret printed');
    }
  });

  it('asks to sign in again once the session is signed out elsewhere; logout then forgets it', async () => {
    const elsewhere = await browser('POST', '/v1/sessions/sign-out-everywhere', { keep_current: true });
    assert.equal(elsewhere.status, 200, await elsewhere.text());
    const ended = await w.strix(['projects']);
    assert.equal(ended.code, 1, ended.stderr);
    assert.match(ended.stderr, /\(401 unauthorized\): the session of profile default expired or was signed out: sign in again with strix login --email owner@example\.com --profile default/);
    const out = await w.strix(['logout']);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /The session had ended on .* already; removed profile default/);
    assert.deepEqual(Object.keys(await savedProfiles()), ['agent']);
  });

  it('with several projects, --project picks one; without it the login lists them and saves nothing', async () => {
    const { teams } = (await (await browser('GET', '/v1/teams')).json()) as { teams: { id: string }[] };
    const created = await browser('POST', `/v1/teams/${teams[0]!.id}/projects`, { name: 'Second app' });
    assert.equal(created.status, 201, await created.clone().text());
    const second = ((await created.json()) as { id: string }).id;

    const ambiguous = await login(owner, ['--profile', 'work']);
    assert.equal(ambiguous.code, 2, ambiguous.stderr);
    assert.match(ambiguous.stderr, /you are in 2 projects: choose one with --project ID:/);
    assert.ok(ambiguous.stderr.includes(w.h.credentials.projectId) && ambiguous.stderr.includes(`${second}  Second app`), ambiguous.stderr);
    assert.equal((await savedProfiles()).work, undefined);

    const chosen = await login(owner, ['--profile', 'work', '--project', second]);
    assert.equal(chosen.code, 0, chosen.stderr);
    assert.match(chosen.stdout, /on project Second app .*; strix logout work ends it/s);
    const [project] = json<{ id: string }[]>(await w.strix(['projects', '--profile', 'work', '-f', 'json']));
    assert.equal(project?.id, second);
  });

  it('logout ends the session on the server: its token is refused afterwards', async () => {
    const { session_token, csrf_token } = (await savedProfiles()).work ?? assert.fail('the work profile');
    const me = () => fetch(`${w.url}/v1/me`, { headers: { cookie: `strix_session=${session_token}; strix_csrf=${csrf_token}` } });
    assert.equal((await me()).status, 200);
    const out = await w.strix(['logout', 'work']);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /Signed out of .* \(the session is ended on the server\); removed profile work/);
    assert.equal((await me()).status, 401);
    assert.equal((await savedProfiles()).work, undefined);
  });

  it('logout forgets a session profile whose server cannot be reached, and says so', async () => {
    const home = join(w.home, 'away');
    await mkdir(join(home, 'config', 'strix'), { recursive: true });
    const away: SavedProfile = { url: await closedPortUrl(), email: owner, session_token: 't', csrf_token: 'c', expires_at: '2099-01-01T00:00:00.000Z', project_id: 'p' };
    await writeFile(join(home, 'config', 'strix', 'profiles.json'), JSON.stringify({ default: 'away', profiles: { away } }), { mode: 0o600 });
    const out = await spawnStrix(home, ['logout']);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stderr, /could not end the session on the server: cannot reach http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/);
    assert.match(out.stdout, /Removed profile away .*; the server still holds its session/);
    const left = JSON.parse(await readFile(join(home, 'config', 'strix', 'profiles.json'), 'utf8')) as { profiles: object };
    assert.deepEqual(left.profiles, {});
  });

  it('documents --email and --project in help and shell completion', async () => {
    const help = await w.strix(['login', '--help']);
    assert.match(help.stdout, /--email ADDRESS/);
    assert.match(help.stdout, /--project ID/);
    assert.match(help.stdout, /strix login --email me@example\.com/);
    const script = (await w.strix(['completion', 'bash'])).stdout;
    const program = `${script}\nCOMP_WORDS=(strix login --); COMP_CWORD=2; _strix; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const completed = spawnSync('bash', ['-c', program], { encoding: 'utf8' }).stdout.split('\n');
    assert.ok(completed.includes('--email') && completed.includes('--project'), completed.join(' '));
  });
});
