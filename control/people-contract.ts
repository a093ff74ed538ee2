import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DomainError, type Role } from '@strix/contracts';
import { listAuditLog, systemActor, type Actor } from './audit.ts';
import { ControlPlane } from './control-plane.ts';
import type { ControlDb } from './db.ts';
import { acceptInvitation, createInvitation, invitationLifetimeMs, previewInvitation, resendInvitation, revokeInvitation } from './invitations.ts';
import { createKey, loadPrincipals } from './keys.ts';
import { changeMemberRole, createTeamOf, listMembers, listUserTeams, removeMember } from './members.ts';
import { createProject } from './projects.ts';
import {
  createOwnerLink,
  maxCodeAttempts,
  ownerLinkLifetimeMs,
  requestSignInCode,
  signInCodeLifetimeMs,
  signInThrottle,
  verifySignIn,
  type SignInCode,
  type SignInProof,
  type SignedIn,
} from './sign-in.ts';
import { ensureUser } from './users.ts';

/** Sign-in, members and invitations on an engine: `open` gives a fresh, empty store. */
export function peopleContract(engine: string, open: () => Promise<ControlDb>): void {
  describe(`people: sign-in, members and invitations (${engine})`, () => {
    let control: ControlPlane;
    const t0 = Date.UTC(2026, 0, 5, 9);

    before(async () => {
      control = await ControlPlane.open(await open());
    });
    after(() => control.close());

    const db = () => control.db;
    const requestCode = async (email: string, now: number): Promise<SignInCode> => {
      const result = await db().transaction((tx) => requestSignInCode(tx, email, now));
      assert.equal(result.throttled, false);
      return result;
    };
    const verify = (proof: SignInProof, now: number) => db().transaction((tx) => verifySignIn(tx, proof, now));
    const signedIn = (result: SignedIn | DomainError): SignedIn => {
      if (result instanceof DomainError) assert.fail(`refused: ${result.message}`);
      return result;
    };
    const refused = (result: SignedIn | DomainError, pattern: RegExp) => {
      assert.ok(result instanceof DomainError, 'refused');
      assert.match(result.message, pattern);
    };
    const wrongCode = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    const userActor = async (email: string): Promise<Actor> => {
      const { user } = await db().transaction((tx) => ensureUser(tx, email));
      return { type: 'user', id: user.id, label: user.email };
    };

    describe('sign-in codes', () => {
      it('signs in once with a mailed code, creating the account on first use', async () => {
        const sent = await requestCode('Ada@Example.com', t0);
        assert.match(sent.code, /^\d{6}$/);
        assert.equal(sent.expiresAt, t0 + signInCodeLifetimeMs);
        const first = signedIn(await verify({ email: 'ada@example.com', code: sent.code }, t0 + 1000));
        assert.equal(first.user.email, 'ada@example.com');
        assert.equal(first.created, true);
        refused(await verify({ email: 'ada@example.com', code: sent.code }, t0 + 2000), /already used/);
        refused(await verify({ token: sent.linkToken }, t0 + 2000), /already used/);

        const again = await requestCode('ada@example.com', t0 + 60_000);
        const second = signedIn(await verify({ token: again.linkToken }, t0 + 61_000));
        assert.equal(second.user.id, first.user.id, 'the link signs the same account in');
        assert.equal(second.created, false);
      });

      it('a new code supersedes the older ones of the address', async () => {
        const old = await requestCode('bea@example.com', t0);
        const fresh = await requestCode('bea@example.com', t0 + 1000);
        refused(await verify({ token: old.linkToken }, t0 + 2000), /expired .* or a newer one replaced it/);
        if (old.code !== fresh.code) refused(await verify({ email: 'bea@example.com', code: old.code }, t0 + 2000), /wrong code; 4 tries left/);
        signedIn(await verify({ email: 'bea@example.com', code: fresh.code }, t0 + 3000));
      });

      it(`kills a code after ${maxCodeAttempts} wrong tries, its link too; a new code works`, async () => {
        const sent = await requestCode('cy@example.com', t0);
        for (let left = maxCodeAttempts - 1; left >= 1; left--) {
          refused(await verify({ email: 'cy@example.com', code: wrongCode(sent.code) }, t0 + 1000), new RegExp(`wrong code; ${left} tr(y|ies) left`));
        }
        refused(await verify({ email: 'cy@example.com', code: wrongCode(sent.code) }, t0 + 1000), /5th wrong try, so this code no longer works: ask for a new one/);
        refused(await verify({ email: 'cy@example.com', code: sent.code }, t0 + 1000), /5 wrong tries: this code no longer works; ask for a new one/);
        refused(await verify({ token: sent.linkToken }, t0 + 1000), /no longer works/);
        const next = await requestCode('cy@example.com', t0 + 2000);
        signedIn(await verify({ email: 'cy@example.com', code: next.code }, t0 + 3000));
      });

      it('refuses an expired code and link, and an address that was sent none', async () => {
        const sent = await requestCode('dee@example.com', t0);
        refused(await verify({ email: 'dee@example.com', code: sent.code }, t0 + signInCodeLifetimeMs), /expired \(codes work 10 minutes\)/);
        refused(await verify({ token: sent.linkToken }, t0 + signInCodeLifetimeMs + 1), /expired/);
        refused(await verify({ email: 'nobody@example.com', code: '123456' }, t0), /no code was sent to this address/);
        refused(await verify({ token: 'not-a-token-strix-made' }, t0), /not a sign-in link/);
      });

      it(`sends at most ${signInThrottle.codes} codes an address per window, known or not`, async () => {
        for (let i = 0; i < signInThrottle.codes; i++) await requestCode('eve@example.com', t0 + i * 1000);
        const sixth = await db().transaction((tx) => requestSignInCode(tx, 'eve@example.com', t0 + 10_000));
        assert.deepEqual(sixth, { throttled: true, retryAfterMs: signInThrottle.windowMs - 10_000 });
        await requestCode('eve@example.com', t0 + signInThrottle.windowMs + 1);
      });
    });

    describe('owner link', () => {
      it('makes its user an owner of the team, once, for 24 hours; a later link signs that owner in', async () => {
        const boss = await userActor('boss@example.com');
        const team = await db().transaction((tx) => createTeamOf(tx, { name: 'Owner link team' }, boss));
        const { token, expiresAt } = await db().transaction((tx) => createOwnerLink(tx, team.id, t0));
        assert.equal(expiresAt, t0 + ownerLinkLifetimeMs);
        refused(await verify({ token }, t0 + ownerLinkLifetimeMs), /expired \(links work 24 hours\)/);

        const link = await db().transaction((tx) => createOwnerLink(tx, team.id, t0));
        const replaced = await db().transaction((tx) => createOwnerLink(tx, team.id, t0 + 1000));
        refused(await verify({ token: link.token }, t0 + 2000), /a newer one replaced it/);
        const owner = signedIn(await verify({ token: replaced.token, email: 'Founder@Example.com' }, t0 + 2000));
        assert.equal(owner.user.email, 'founder@example.com');
        assert.equal(owner.ownerOf, team.id);
        assert.equal((await listUserTeams(db(), owner.user.id)).find((t) => t.id === team.id)?.role, 'owner');
        refused(await verify({ token: replaced.token }, t0 + 3000), /already used/);

        const later = await db().transaction((tx) => createOwnerLink(tx, team.id, t0 + 4000));
        const same = signedIn(await verify({ token: later.token }, t0 + 5000));
        assert.equal(same.user.id, boss.id, 'without an address, the link signs the team’s first owner in');
      });
    });

    describe('members', () => {
      let teamId: string;
      const people: Record<string, Actor> = {};
      const role = async (name: string) => (await listMembers(db(), teamId, { limit: 50 })).find((m) => m.user_id === people[name]!.id)?.role;
      const attempt = (fn: () => Promise<unknown>) => fn().then(() => undefined, (error: unknown) => error as DomainError);

      before(async () => {
        for (const name of ['olga', 'adam', 'mia', 'max', 'otto']) people[name] = await userActor(`${name}@example.com`);
        teamId = (await db().transaction((tx) => createTeamOf(tx, { name: 'Rules' }, people.olga!))).id;
        const join = async (name: string, r: Role) => {
          await db().query('INSERT INTO team_members (team_id, user_id, role) VALUES ($1, $2, $3)', [teamId, people[name]!.id, r]);
        };
        await join('adam', 'admin');
        await join('mia', 'member');
        await join('max', 'member');
        await join('otto', 'member');
      });

      const change = (by: string, who: string, to: Role) => attempt(() => db().transaction((tx) => changeMemberRole(tx, teamId, people[who]!.id, to, people[by]!)));
      const remove = (by: string, who: string) => attempt(() => db().transaction((tx) => removeMember(tx, teamId, people[who]!.id, people[by]!)));

      it('lists the team’s members by address, a page at a time', async () => {
        const first = await listMembers(db(), teamId, { limit: 2 });
        assert.deepEqual(first.map((m) => [m.email, m.role]), [['adam@example.com', 'admin'], ['max@example.com', 'member']]);
        const next = await listMembers(db(), teamId, { after: first[1]!.email, limit: 10 });
        assert.deepEqual(next.map((m) => m.email), ['mia@example.com', 'olga@example.com', 'otto@example.com']);
      });

      it('lets each role manage only lower roles', async () => {
        assert.match((await change('adam', 'mia', 'admin'))!.message, /your role \(admin\) cannot change a member to admin/);
        assert.match((await change('adam', 'olga', 'member'))!.message, /cannot change an owner/);
        assert.match((await remove('adam', 'olga'))!.message, /cannot remove an owner; admins manage members only/);
        assert.match((await remove('mia', 'max'))!.message, /members can only leave themselves/);
        assert.match((await change('mia', 'mia', 'admin'))!.message, /cannot raise your own role/);
        assert.equal(await change('olga', 'mia', 'admin'), undefined);
        assert.equal(await role('mia'), 'admin');
        assert.equal(await change('mia', 'mia', 'member'), undefined, 'anyone may lower their own role');
        assert.equal(await remove('max', 'max'), undefined, 'a member may leave');
        assert.equal(await role('max'), undefined);
      });

      it('keeps the last owner: not demoted, cannot leave', async () => {
        assert.match((await change('olga', 'olga', 'admin'))!.message, /the last owner cannot be demoted/);
        assert.match((await remove('olga', 'olga'))!.message, /the last owner cannot leave the team/);
        assert.equal(await change('olga', 'adam', 'owner'), undefined);
        assert.match((await change('olga', 'adam', 'admin'))!.message, /your role \(owner\) cannot change an owner to admin; owners manage admins and members/);
        assert.match((await remove('olga', 'adam'))!.message, /your role \(owner\) cannot remove an owner/);
        assert.equal(await change('olga', 'olga', 'admin'), undefined, 'with a second owner the first may step down');
        assert.match((await change('olga', 'adam', 'admin'))!.message, /your role \(admin\) cannot change an owner/);
        assert.equal(await change('adam', 'olga', 'owner'), undefined);
        const log = await listAuditLog(db(), teamId, { limit: 50 });
        assert.ok(log.some((e) => e.action === 'member.role' && e.target_id === people.adam!.id && e.actor_id === people.olga!.id && e.details.to === 'owner'));
        assert.ok(log.some((e) => e.action === 'member.leave' && e.target_id === people.max!.id));
      });

      it('removing a member revokes the agent keys they created in the team’s projects, keeping others’', async () => {
        const system = systemActor('test');
        const made = await db().transaction(async (tx) => {
          const project = await createProject(tx, teamId, { name: 'Keys' }, system);
          const ottos = await createKey(tx, project.id, { type: 'agent', name: 'otto’s agent', createdBy: people.otto!.id }, system);
          const adams = await createKey(tx, project.id, { type: 'agent', name: 'adam’s agent', createdBy: people.adam!.id }, system);
          return { ottos: ottos.key.id, adams: adams.key.id };
        });
        assert.equal(await remove('adam', 'otto'), undefined);
        const principals = new Map((await loadPrincipals(db())).map((p) => [p.keyId, p]));
        assert.equal(principals.get(made.ottos)?.revoked, true);
        assert.equal(principals.get(made.adams)?.revoked, false);
        const log = await listAuditLog(db(), teamId, { limit: 50 });
        assert.ok(log.some((e) => e.action === 'member.remove' && e.target_id === people.otto!.id && e.details.agent_keys_revoked === 1));
      });
    });

    describe('invitations', () => {
      let teamId: string;
      let owner: Actor;
      let admin: Actor;
      const attempt = (fn: () => Promise<unknown>) => fn().then(() => undefined, (error: unknown) => error as DomainError);

      before(async () => {
        owner = await userActor('ivy@example.com');
        admin = await userActor('ian@example.com');
        teamId = (await db().transaction((tx) => createTeamOf(tx, { name: 'Invites' }, owner))).id;
        await db().query(`INSERT INTO team_members (team_id, user_id, role) VALUES ($1, $2, 'admin')`, [teamId, admin.id]);
      });

      it('admins invite members, owners any role; one open invitation an address', async () => {
        assert.match((await attempt(() => db().transaction((tx) => createInvitation(tx, teamId, { email: 'x@example.com', role: 'admin' }, admin, t0))))!.message, /cannot invite a admin/);
        const made = await db().transaction((tx) => createInvitation(tx, teamId, { email: 'Joe@Example.com', role: 'member' }, admin, t0));
        assert.equal(made.invitation.email, 'joe@example.com');
        assert.equal(made.invitation.expires_ms, t0 + invitationLifetimeMs);
        const again = await attempt(() => db().transaction((tx) => createInvitation(tx, teamId, { email: 'joe@example.com', role: 'member' }, owner, t0)));
        assert.match(again!.message, /already has an open invitation .* re-send it/);
        const member = await attempt(() => db().transaction((tx) => createInvitation(tx, teamId, { email: 'ian@example.com', role: 'member' }, owner, t0)));
        assert.match(member!.message, /already a member/);
      });

      it('re-sending rotates the token; the public preview shows who invited whom to what', async () => {
        const made = await db().transaction((tx) => createInvitation(tx, teamId, { email: 'kim@example.com', role: 'admin' }, owner, t0));
        const preview = await previewInvitation(db(), made.token, t0);
        assert.deepEqual(preview, {
          team_name: 'Invites', email: 'kim@example.com', role: 'admin', invited_by_name: '', invited_by_email: 'ivy@example.com', expires_ms: t0 + invitationLifetimeMs,
        });
        const resent = await db().transaction((tx) => resendInvitation(tx, teamId, made.invitation.id, owner, t0 + 1000));
        assert.equal(resent.invitation.expires_ms, t0 + 1000 + invitationLifetimeMs);
        assert.match((await attempt(() => previewInvitation(db(), made.token, t0 + 2000)))!.message, /no invitation has this link; it may have been re-sent/);
        assert.equal((await previewInvitation(db(), resent.token, t0 + 2000)).email, 'kim@example.com');
        assert.match((await attempt(() => db().transaction((tx) => resendInvitation(tx, teamId, made.invitation.id, admin, t0))))!.message, /cannot invite a admin/);
      });

      it('joins the user whose address it names, once; a mismatch, an expired and a revoked one are refused', async () => {
        const made = await db().transaction((tx) => createInvitation(tx, teamId, { email: 'lou@example.com', role: 'admin' }, owner, t0));
        const stranger = await userActor('stranger@example.com');
        const accept = (who: Actor, token: string, now: number) =>
          attempt(() => db().transaction((tx) => acceptInvitation(tx, token, { id: who.id, email: who.label }, who, now)));
        const mismatch = await accept(stranger, made.token, t0);
        assert.equal(mismatch!.kind, 'forbidden');
        assert.match(mismatch!.message, /this invitation is for lou@example.com, and you are signed in as stranger@example.com/);
        const lou = await userActor('lou@example.com');
        assert.match((await accept(lou, made.token, t0 + invitationLifetimeMs))!.message, /expired/);
        assert.equal(await accept(lou, made.token, t0 + 1000), undefined);
        assert.equal((await listUserTeams(db(), lou.id)).find((t) => t.id === teamId)?.role, 'admin');
        assert.match((await accept(lou, made.token, t0 + 2000))!.message, /already accepted/);

        const revoked = await db().transaction((tx) => createInvitation(tx, teamId, { email: 'moe@example.com', role: 'member' }, admin, t0));
        await db().transaction((tx) => revokeInvitation(tx, teamId, revoked.invitation.id, admin, t0 + 1));
        assert.match((await attempt(() => previewInvitation(db(), revoked.token, t0 + 2)))!.message, /revoked/);
        const log = await listAuditLog(db(), teamId, { limit: 50 });
        assert.deepEqual(
          ['invitation.create', 'invitation.resend', 'invitation.accept', 'invitation.revoke'].filter((a) => !log.some((e) => e.action === a)),
          [],
        );
      });
    });
  });
}
