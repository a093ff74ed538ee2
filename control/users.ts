import { randomUUID } from 'node:crypto';
import { DomainError, type Role } from '@strix/contracts';
import { audit, type Actor } from './audit.ts';
import type { ControlSql } from './db.ts';

export interface UserRow {
  id: string;
  email: string;
  name: string;
  created_ms: number;
}

const userColumns = 'id, email, name, floor(extract(epoch FROM created_at) * 1000)::int8 AS created_ms';

/** The user with this address (lower-cased), created on first use. */
export async function ensureUser(tx: ControlSql, email: string, name = ''): Promise<{ user: UserRow; created: boolean }> {
  const address = email.trim().toLowerCase();
  const [existing] = await tx.query<UserRow>(`SELECT ${userColumns} FROM users WHERE email = $1`, [address]);
  if (existing) return { user: existing, created: false };
  const [user] = await tx.query<UserRow>(
    `INSERT INTO users (id, email, name) VALUES ($1, $2, $3) ON CONFLICT (email) DO UPDATE SET email = EXCLUDED.email RETURNING ${userColumns}`,
    [randomUUID(), address, name],
  );
  return { user: user!, created: true };
}

export async function getUser(db: ControlSql, userId: string): Promise<UserRow | undefined> {
  const [row] = await db.query<UserRow>(`SELECT ${userColumns} FROM users WHERE id = $1`, [userId]);
  return row;
}

/** Makes a user a member of a team with a role (or changes their role). */
export async function setTeamRole(tx: ControlSql, teamId: string, userId: string, role: Role, actor: Actor): Promise<void> {
  const [team] = await tx.query('SELECT id FROM teams WHERE id = $1', [teamId]);
  if (!team) throw new DomainError('not_found', `team ${teamId} does not exist`);
  await tx.query(
    `INSERT INTO team_members (team_id, user_id, role) VALUES ($1, $2, $3)
     ON CONFLICT (team_id, user_id) DO UPDATE SET role = EXCLUDED.role`,
    [teamId, userId, role],
  );
  await audit(tx, actor, { teamId, action: 'member.role', targetType: 'user', targetId: userId, details: { role } });
}
