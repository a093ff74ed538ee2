import { DomainError, roleRank, type Role } from '@strix/contracts';
import { audit, type Actor } from './audit.ts';
import { lockInTransaction, type ControlSql } from './db.ts';
import { revokeAgentKeysOf } from './keys.ts';
import { createTeam, type TeamRow } from './projects.ts';

export interface MemberRow {
  user_id: string;
  email: string;
  name: string;
  role: Role;
  joined_ms: number;
}

export interface UserTeamRow extends TeamRow {
  role: Role;
  joined_ms: number;
}

const memberColumns = `m.user_id, u.email, u.name, m.role, floor(extract(epoch FROM m.created_at) * 1000)::int8 AS joined_ms`;

/** A team's members by address; `after` is the last address of the previous page. */
export async function listMembers(db: ControlSql, teamId: string, page: { after?: string; limit: number }): Promise<MemberRow[]> {
  return db.query<MemberRow>(
    `SELECT ${memberColumns} FROM team_members m JOIN users u ON u.id = m.user_id
     WHERE m.team_id = $1 AND ($2::text IS NULL OR u.email > $2) ORDER BY u.email LIMIT $3`,
    [teamId, page.after ?? null, page.limit],
  );
}

export async function getMember(db: ControlSql, teamId: string, userId: string): Promise<MemberRow | undefined> {
  const [row] = await db.query<MemberRow>(`SELECT ${memberColumns} FROM team_members m JOIN users u ON u.id = m.user_id WHERE m.team_id = $1 AND m.user_id = $2`, [
    teamId,
    userId,
  ]);
  return row;
}

/** The teams a user belongs to, by name, with their role in each. */
export async function listUserTeams(db: ControlSql, userId: string): Promise<UserTeamRow[]> {
  return db.query<UserTeamRow>(
    `SELECT t.id, t.name, t.slug, floor(extract(epoch FROM t.created_at) * 1000)::int8 AS created_ms,
            m.role, floor(extract(epoch FROM m.created_at) * 1000)::int8 AS joined_ms
     FROM team_members m JOIN teams t ON t.id = m.team_id WHERE m.user_id = $1 ORDER BY t.name, t.id`,
    [userId],
  );
}

/** A new team whose creator (a signed-in person) is its owner. */
export async function createTeamOf(tx: ControlSql, team: { name: string; slug?: string }, actor: Actor): Promise<UserTeamRow> {
  const acting = actingUser(actor);
  const row = await createTeam(tx, team, actor);
  await tx.query(`INSERT INTO team_members (team_id, user_id, role) VALUES ($1, $2, 'owner')`, [row.id, acting]);
  await audit(tx, actor, { teamId: row.id, action: 'member.add', targetType: 'user', targetId: acting, details: { role: 'owner', reason: 'created the team' } });
  const [made] = (await listUserTeams(tx, acting)).filter((t) => t.id === row.id);
  return made!;
}

/** Member management is for signed-in people: keys and Strix itself have no role in a team. */
export function actingUser(actor: Actor): string {
  if (actor.type !== 'user') throw new DomainError('forbidden', 'only a signed-in member manages a team’s members');
  return actor.id;
}

/**
 * The acting user's role in the team, after taking the team's membership lock:
 * two owners demoting each other at once must not leave the team without one.
 */
export async function actingRole(tx: ControlSql, teamId: string, actor: Actor): Promise<Role> {
  const userId = actingUser(actor);
  await lockInTransaction(tx, `members of ${teamId}`);
  const [row] = await tx.query<{ role: Role }>('SELECT role FROM team_members WHERE team_id = $1 AND user_id = $2', [teamId, userId]);
  if (!row) throw new DomainError('not_found', `team ${teamId} does not exist`);
  return row.role;
}

/** Each role manages (changes, removes) only members of lower roles; another owner steps down themselves. */
export const manages = (actor: Role, target: Role) => roleRank[actor] > roleRank[target];

/** Owners grant any role (a team needs a way to a second owner); admins only lower roles than their own. */
export const mayGrant = (actor: Role, role: Role) => actor === 'owner' || roleRank[actor] > roleRank[role];

const aRole = (role: Role) => `${role === 'owner' || role === 'admin' ? 'an' : 'a'} ${role}`;

const managesOnly = (role: Role) =>
  role === 'owner' ? 'owners manage admins and members; another owner steps down themselves' : role === 'admin' ? 'admins manage members only' : 'members manage nobody';

/** Whether anyone owns the team yet (an install from before sign-in has an ownerless default team). */
export async function teamHasOwner(db: ControlSql, teamId: string): Promise<boolean> {
  const [owner] = await db.query(`SELECT 1 FROM team_members WHERE team_id = $1 AND role = 'owner' LIMIT 1`, [teamId]);
  return owner !== undefined;
}

async function ownerCount(tx: ControlSql, teamId: string): Promise<number> {
  const [row] = await tx.query<{ n: number }>(`SELECT count(*)::int8 AS n FROM team_members WHERE team_id = $1 AND role = 'owner'`, [teamId]);
  return row?.n ?? 0;
}

async function targetMember(tx: ControlSql, teamId: string, userId: string): Promise<MemberRow> {
  const member = await getMember(tx, teamId, userId);
  if (!member) throw new DomainError('not_found', `user ${userId} is not a member of team ${teamId}`);
  return member;
}

const lastOwner = (what: string) => new DomainError('conflict', `role: the last owner cannot ${what}; make another member an owner first`);

/**
 * Changes a member's role. An owner manages admins and members and may make
 * them owners; an admin only manages members and grants no role above member.
 * Anyone may lower their own role, but the team always keeps an owner.
 */
export async function changeMemberRole(tx: ControlSql, teamId: string, userId: string, role: Role, actor: Actor): Promise<MemberRow> {
  const mine = await actingRole(tx, teamId, actor);
  const target = await targetMember(tx, teamId, userId);
  const self = userId === actor.id;
  if (self ? roleRank[role] > roleRank[mine] : !manages(mine, target.role) || !mayGrant(mine, role)) {
    const what = self ? `raise your own role to ${role}` : `change ${aRole(target.role)} to ${role}`;
    throw new DomainError('forbidden', `role: your role (${mine}) cannot ${what}; ${managesOnly(mine)}`);
  }
  if (target.role === role) return target;
  if (target.role === 'owner' && (await ownerCount(tx, teamId)) === 1) throw lastOwner('be demoted');
  await tx.query('UPDATE team_members SET role = $3 WHERE team_id = $1 AND user_id = $2', [teamId, userId, role]);
  await audit(tx, actor, { teamId, action: 'member.role', targetType: 'user', targetId: userId, details: { email: target.email, from: target.role, to: role } });
  return { ...target, role };
}

/**
 * Removes a member (or lets one leave) and revokes the agent keys they created
 * in the team's projects. Their sessions stay: they may belong to other teams.
 */
export async function removeMember(tx: ControlSql, teamId: string, userId: string, actor: Actor): Promise<{ member: MemberRow; revokedKeys: number }> {
  const mine = await actingRole(tx, teamId, actor);
  const target = await targetMember(tx, teamId, userId);
  const self = userId === actor.id;
  if (!self && !manages(mine, target.role)) {
    throw new DomainError('forbidden', `your role (${mine}) cannot remove ${aRole(target.role)}; ${mine === 'member' ? 'members can only leave themselves' : managesOnly(mine)}`);
  }
  if (target.role === 'owner' && (await ownerCount(tx, teamId)) === 1) throw lastOwner('leave the team');
  await tx.query('DELETE FROM team_members WHERE team_id = $1 AND user_id = $2', [teamId, userId]);
  const revokedKeys = await revokeAgentKeysOf(tx, teamId, userId, actor);
  await audit(tx, actor, {
    teamId,
    action: self ? 'member.leave' : 'member.remove',
    targetType: 'user',
    targetId: userId,
    details: { email: target.email, role: target.role, agent_keys_revoked: revokedKeys },
  });
  return { member: target, revokedKeys };
}

/**
 * Adds a user to a team with a role; one who is already in keeps the higher
 * of the two roles (accepting an invitation never demotes).
 */
export async function joinTeam(tx: ControlSql, teamId: string, userId: string, role: Role): Promise<Role> {
  const [current] = await tx.query<{ role: Role }>('SELECT role FROM team_members WHERE team_id = $1 AND user_id = $2', [teamId, userId]);
  if (current && roleRank[current.role] >= roleRank[role]) return current.role;
  await tx.query(
    `INSERT INTO team_members (team_id, user_id, role) VALUES ($1, $2, $3) ON CONFLICT (team_id, user_id) DO UPDATE SET role = EXCLUDED.role`,
    [teamId, userId, role],
  );
  return role;
}
