import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { createKey, createProject, listAuditLog, loadPrincipals, systemActor, type ControlPlane } from '@strix/control';
import type { SmtpReceiver } from '@strix/testkit/smtp';
import { mailTo, signInByCode, startPeopleApp, type PeopleApp, type Person } from './people.fixture.ts';

interface Invitation {
  invitation: { id: string; email: string; role: string };
  invite_url: string;
  mailed: boolean;
}

describe('teams, members and invitations API', () => {
  let people: PeopleApp;
  let control: ControlPlane;
  let receiver: SmtpReceiver;
  let app: FastifyInstance;
  let owner: Person;
  let admin: Person;
  let member: Person;
  let teamId: string;

  before(async () => {
    people = await startPeopleApp({ mail: { from: 'strix@test.example', publicUrl: 'https://strix.test.example' } });
    ({ app, control, receiver } = people);
    owner = await signInByCode(app, receiver, 'olivia@example.com');
  });

  after(() => people.close());

  const message = (res: { json: <T>() => T }) => res.json<{ message: string }>().message;
  const pathOf = (url: string) => new URL(url).pathname;

  /** `by` invites `email`; the invited person signs in and accepts the mailed link. */
  async function invite(by: Person, email: string, role: string): Promise<Person> {
    const seen = receiver.received.length;
    const res = await by.call('POST', `/v1/teams/${teamId}/invitations`, { email, role });
    assert.equal(res.statusCode, 201, res.body);
    const sent = res.json<Invitation>();
    assert.equal(sent.mailed, true);
    const mail = await mailTo(receiver, email, seen);
    assert.ok(mail.text?.includes(sent.invite_url), 'the mail carries the link');
    const invited = await signInByCode(app, receiver, email);
    const accepted = await invited.call('POST', `${pathOf(sent.invite_url)}/accept`);
    assert.equal(accepted.statusCode, 200, accepted.body);
    assert.deepEqual(accepted.json<{ role: string }>().role, role);
    return invited;
  }

  it('creates a team whose creator is its owner, and lists the user’s teams', async () => {
    const created = await owner.call('POST', '/v1/teams', { name: 'Acme Mobile' });
    assert.equal(created.statusCode, 201, created.body);
    const team = created.json<{ id: string; slug: string; role: string }>();
    assert.equal(team.role, 'owner');
    assert.equal(team.slug, 'acme-mobile');
    teamId = team.id;
    const teams = (await owner.call('GET', '/v1/teams')).json<{ teams: { id: string; role: string }[] }>().teams;
    assert.deepEqual(teams.map((t) => [t.id, t.role]), [[teamId, 'owner']]);
    const bad = await owner.call('POST', '/v1/teams', { name: '' });
    assert.match(message(bad), /^body field name: must not be empty/);
  });

  it('invitations: accepted by a second user, who joins with the role; admins invite members only', async () => {
    admin = await invite(owner, 'adam@example.com', 'admin');
    member = await invite(admin, 'mona@example.com', 'member');
    const refused = await admin.call('POST', `/v1/teams/${teamId}/invitations`, { email: 'x@example.com', role: 'admin' });
    assert.equal(refused.statusCode, 403);
    assert.match(message(refused), /^role: your role \(admin\) cannot invite a admin/);
    const byMember = await member.call('POST', `/v1/teams/${teamId}/invitations`, { email: 'x@example.com' });
    assert.equal(byMember.statusCode, 403);
    const teams = (await admin.call('GET', '/v1/teams')).json<{ teams: { id: string; role: string }[] }>().teams;
    assert.deepEqual(teams.map((t) => [t.id, t.role]), [[teamId, 'admin']]);
  });

  it('shows an invitation publicly, rotates it on re-send, refuses a mismatched address and a revoked one', async () => {
    const res = await owner.call('POST', `/v1/teams/${teamId}/invitations`, { email: 'nina@example.com', role: 'member' });
    const first = res.json<Invitation>();
    const preview = await app.inject({ method: 'GET', url: pathOf(first.invite_url) });
    assert.equal(preview.statusCode, 200, preview.body);
    assert.deepEqual({ ...preview.json<Record<string, unknown>>(), expires_at: 'x' }, {
      team: { name: 'Acme Mobile' }, email: 'nina@example.com', role: 'member', invited_by: { name: '', email: 'olivia@example.com' }, expires_at: 'x',
    });

    const resent = await owner.call('POST', `/v1/teams/${teamId}/invitations/${first.invitation.id}/resend`);
    assert.equal(resent.statusCode, 200, resent.body);
    const second = resent.json<Invitation>();
    assert.notEqual(second.invite_url, first.invite_url);
    assert.equal((await app.inject({ method: 'GET', url: pathOf(first.invite_url) })).statusCode, 404, 'the old link stops working');

    const mismatch = await member.call('POST', `${pathOf(second.invite_url)}/accept`);
    assert.equal(mismatch.statusCode, 403);
    assert.match(message(mismatch), /this invitation is for nina@example.com, and you are signed in as mona@example.com/);

    const listed = (await admin.call('GET', `/v1/teams/${teamId}/invitations`)).json<{ invitations: { id: string }[] }>().invitations;
    assert.deepEqual(listed.map((i) => i.id), [first.invitation.id]);
    assert.equal((await member.call('GET', `/v1/teams/${teamId}/invitations`)).statusCode, 403, 'members do not see invitations');
    assert.equal((await admin.call('DELETE', `/v1/teams/${teamId}/invitations/${first.invitation.id}`)).statusCode, 204);
    const revoked = await app.inject({ method: 'GET', url: pathOf(second.invite_url) });
    assert.equal(revoked.statusCode, 409);
    assert.match(message(revoked), /revoked/);
  });

  it('lists members a page at a time', async () => {
    const page = await member.call('GET', `/v1/teams/${teamId}/members?limit=2`);
    assert.equal(page.statusCode, 200, page.body);
    const first = page.json<{ members: { email: string; role: string }[]; next_cursor: string | null }>();
    assert.deepEqual(first.members.map((m) => [m.email, m.role]), [['adam@example.com', 'admin'], ['mona@example.com', 'member']]);
    assert.ok(first.next_cursor);
    const rest = (await member.call('GET', `/v1/teams/${teamId}/members?limit=2&cursor=${first.next_cursor}`)).json<{ members: { email: string }[]; next_cursor: string | null }>();
    assert.deepEqual(rest.members.map((m) => m.email), ['olivia@example.com']);
    assert.equal(rest.next_cursor, null);
    assert.match(message(await member.call('GET', `/v1/teams/${teamId}/members?cursor=@@`)), /^query parameter cursor: not a cursor/);
    const stranger = await signInByCode(app, receiver, 'stranger@example.com');
    const hidden = await stranger.call('GET', `/v1/teams/${teamId}/members`);
    assert.equal(hidden.statusCode, 404, 'another team answers as a missing one');
  });

  it('applies the role rules over HTTP: lower roles only, the last owner stays', async () => {
    const role = (who: Person, by: Person, to: string, csrf = true) => by.call('PATCH', `/v1/teams/${teamId}/members/${who.userId}`, { role: to }, { csrf });
    assert.equal((await role(member, admin, 'admin', false)).statusCode, 403, 'no CSRF header, no change');
    const promote = await role(member, admin, 'admin');
    assert.equal(promote.statusCode, 403);
    assert.match(message(promote), /your role \(admin\) cannot change a member to admin/);
    assert.equal((await role(owner, admin, 'member')).statusCode, 403);
    const lastOwner = await role(owner, owner, 'admin');
    assert.equal(lastOwner.statusCode, 409);
    assert.match(message(lastOwner), /the last owner cannot be demoted/);
    const leave = await owner.call('DELETE', `/v1/teams/${teamId}/members/${owner.userId}`);
    assert.equal(leave.statusCode, 409);
    assert.equal((await admin.call('DELETE', `/v1/teams/${teamId}/members/${owner.userId}`)).statusCode, 403);
    const bad = await owner.call('PATCH', `/v1/teams/${teamId}/members/${admin.userId}`, { role: 'boss' });
    assert.match(message(bad), /^body field role: must be one of owner, admin, member/);

    const promoted = await role(member, owner, 'admin');
    assert.equal(promoted.statusCode, 200, promoted.body);
    assert.equal(promoted.json<{ role: string }>().role, 'admin');
    assert.equal((await role(member, member, 'member')).statusCode, 200, 'anyone may lower their own role');
  });

  it('removing a member revokes the agent keys they created; a member may leave; every change is in the audit log', async () => {
    const system = systemActor('test');
    const keyId = await control.db.transaction(async (tx) => {
      const project = await createProject(tx, teamId, { name: 'Acme iOS' }, system);
      return (await createKey(tx, project.id, { type: 'agent', createdBy: admin.userId }, system)).key.id;
    });
    assert.equal((await owner.call('DELETE', `/v1/teams/${teamId}/members/${admin.userId}`)).statusCode, 204);
    assert.equal((await loadPrincipals(control.db)).find((p) => p.keyId === keyId)?.revoked, true);
    assert.equal((await admin.call('GET', `/v1/teams/${teamId}/members`)).statusCode, 404, 'out of the team');
    assert.equal((await admin.call('GET', '/v1/me')).statusCode, 200, 'their session stays');

    assert.equal((await member.call('DELETE', `/v1/teams/${teamId}/members/${member.userId}`)).statusCode, 204);
    const log = await listAuditLog(control.db, teamId, { limit: 100 });
    const entry = (action: string) => log.find((e) => e.action === action);
    assert.equal(entry('member.remove')?.actor_label, 'olivia@example.com');
    assert.equal(entry('member.remove')?.actor_type, 'user');
    assert.equal(entry('member.remove')?.details.agent_keys_revoked, 1);
    assert.ok(entry('member.remove')?.ip, 'the address the change came from');
    assert.equal(entry('member.leave')?.target_id, member.userId);
    for (const action of ['team.create', 'invitation.create', 'invitation.resend', 'invitation.revoke', 'invitation.accept', 'member.role', 'key.revoke']) {
      assert.ok(entry(action), `${action} is in the audit log`);
    }
  });
});
