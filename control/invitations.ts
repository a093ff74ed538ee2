import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { DomainError, type Role } from '@strix/contracts';
import { audit, type Actor } from './audit.ts';
import type { ControlSql } from './db.ts';
import { actingRole, joinTeam, mayGrant } from './members.ts';

/** An invitation's link works this long; re-sending starts it again. */
export const invitationLifetimeMs = 7 * 24 * 3600_000;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const newToken = () => randomBytes(32).toString('base64url');

export interface InvitationRow {
  id: string;
  team_id: string;
  email: string;
  role: Role;
  invited_by: string | null;
  invited_by_email: string | null;
  created_ms: number;
  expires_ms: number;
}

/** What the public link shows: who invited whom to what, and until when. */
export interface InvitationPreview {
  team_name: string;
  email: string;
  role: Role;
  invited_by_name: string;
  invited_by_email: string;
  expires_ms: number;
}

const ms = (column: string, as: string) => `floor(extract(epoch FROM i.${column}) * 1000)::int8 AS ${as}`;
const invitationColumns = `i.id, i.team_id, i.email, i.role, i.invited_by, u.email AS invited_by_email,
  ${ms('created_at', 'created_ms')}, ${ms('expires_at', 'expires_ms')}`;
const fromInvitations = 'FROM invitations i LEFT JOIN users u ON u.id = i.invited_by';

/** A team's open invitations (expired ones included until revoked), by address; `after` is the last address of the previous page. */
export async function listInvitations(db: ControlSql, teamId: string, page: { after?: string; limit: number }): Promise<InvitationRow[]> {
  return db.query<InvitationRow>(
    `SELECT ${invitationColumns} ${fromInvitations}
     WHERE i.team_id = $1 AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND ($2::text IS NULL OR i.email > $2)
     ORDER BY i.email LIMIT $3`,
    [teamId, page.after ?? null, page.limit],
  );
}

async function openInvitation(tx: ControlSql, teamId: string, invitationId: string): Promise<InvitationRow> {
  const [row] = await tx.query<InvitationRow>(
    `SELECT ${invitationColumns} ${fromInvitations} WHERE i.team_id = $1 AND i.id = $2 AND i.accepted_at IS NULL AND i.revoked_at IS NULL`,
    [teamId, invitationId],
  );
  if (!row) throw new DomainError('not_found', `invitation ${invitationId} does not exist in team ${teamId} (or was accepted or revoked)`);
  return row;
}

function mayInvite(mine: Role, role: Role): void {
  if (mine === 'member') throw new DomainError('forbidden', 'your role (member) cannot invite; admins invite members, owners invite any role');
  if (!mayGrant(mine, role)) throw new DomainError('forbidden', `role: your role (${mine}) cannot invite a ${role}; admins invite members only`);
}

/** Invites an address to a team; returns the link's token (stored only as a hash). */
export async function createInvitation(
  tx: ControlSql,
  teamId: string,
  invite: { email: string; role: Role },
  actor: Actor,
  now = Date.now(),
): Promise<{ invitation: InvitationRow; token: string }> {
  const email = invite.email.trim().toLowerCase();
  mayInvite(await actingRole(tx, teamId, actor), invite.role);
  const [member] = await tx.query('SELECT 1 FROM team_members m JOIN users u ON u.id = m.user_id WHERE m.team_id = $1 AND u.email = $2', [teamId, email]);
  if (member) throw new DomainError('conflict', `email: ${email} is already a member of this team`);
  const [open] = await tx.query<{ id: string; expires_ms: number }>(
    `SELECT i.id, ${ms('expires_at', 'expires_ms')} FROM invitations i WHERE i.team_id = $1 AND i.email = $2 AND i.accepted_at IS NULL AND i.revoked_at IS NULL`,
    [teamId, email],
  );
  if (open && open.expires_ms > now) {
    throw new DomainError('conflict', `email: ${email} already has an open invitation (${open.id}); re-send it with POST /v1/teams/${teamId}/invitations/${open.id}/resend`);
  }
  // An expired one gives way to the new one (one open invitation per address).
  if (open) await tx.query('UPDATE invitations SET revoked_at = to_timestamp($2 / 1000.0) WHERE id = $1', [open.id, now]);
  const id = randomUUID();
  const token = newToken();
  await tx.query(
    `INSERT INTO invitations (id, team_id, email, role, token_hash, invited_by, created_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, to_timestamp($7 / 1000.0), to_timestamp($8 / 1000.0))`,
    [id, teamId, email, invite.role, sha256(token), actor.id, now, now + invitationLifetimeMs],
  );
  await audit(tx, actor, { teamId, action: 'invitation.create', targetType: 'invitation', targetId: id, details: { email, role: invite.role } });
  return { invitation: await openInvitation(tx, teamId, id), token };
}

/** A new token for an open invitation (the old link stops working) and another full lifetime. */
export async function resendInvitation(tx: ControlSql, teamId: string, invitationId: string, actor: Actor, now = Date.now()): Promise<{ invitation: InvitationRow; token: string }> {
  const mine = await actingRole(tx, teamId, actor);
  const current = await openInvitation(tx, teamId, invitationId);
  mayInvite(mine, current.role);
  const token = newToken();
  await tx.query('UPDATE invitations SET token_hash = $2, expires_at = to_timestamp($3 / 1000.0) WHERE id = $1', [
    invitationId,
    sha256(token),
    now + invitationLifetimeMs,
  ]);
  await audit(tx, actor, { teamId, action: 'invitation.resend', targetType: 'invitation', targetId: invitationId, details: { email: current.email, role: current.role } });
  return { invitation: await openInvitation(tx, teamId, invitationId), token };
}

export async function revokeInvitation(tx: ControlSql, teamId: string, invitationId: string, actor: Actor, now = Date.now()): Promise<void> {
  const mine = await actingRole(tx, teamId, actor);
  const current = await openInvitation(tx, teamId, invitationId);
  mayInvite(mine, current.role);
  await tx.query('UPDATE invitations SET revoked_at = to_timestamp($2 / 1000.0) WHERE id = $1', [invitationId, now]);
  await audit(tx, actor, { teamId, action: 'invitation.revoke', targetType: 'invitation', targetId: invitationId, details: { email: current.email, role: current.role } });
}

interface TokenRow extends InvitationRow {
  team_name: string;
  team_slug: string;
  invited_by_name: string | null;
  accepted: boolean;
  revoked: boolean;
}

async function byToken(db: ControlSql, token: string, now: number, lock: boolean): Promise<TokenRow> {
  const [row] = await db.query<TokenRow>(
    `SELECT ${invitationColumns}, t.name AS team_name, t.slug AS team_slug, u.name AS invited_by_name,
            i.accepted_at IS NOT NULL AS accepted, i.revoked_at IS NOT NULL AS revoked
     ${fromInvitations} JOIN teams t ON t.id = i.team_id WHERE i.token_hash = $1 ${lock ? 'FOR UPDATE OF i' : ''}`,
    [sha256(token)],
  );
  if (!row) throw new DomainError('not_found', 'token: no invitation has this link; it may have been re-sent with a new one');
  if (row.accepted) throw new DomainError('conflict', 'token: this invitation was already accepted');
  if (row.revoked) throw new DomainError('conflict', 'token: this invitation was revoked; ask the team for a new one');
  if (row.expires_ms <= now) throw new DomainError('conflict', 'token: this invitation expired (invitations work 7 days); ask the team to re-send it');
  return row;
}

/** Who invited whom to what team, for the invitation's public page; nothing else about the team. */
export async function previewInvitation(db: ControlSql, token: string, now = Date.now()): Promise<InvitationPreview> {
  const row = await byToken(db, token, now, false);
  return {
    team_name: row.team_name,
    email: row.email,
    role: row.role,
    invited_by_name: row.invited_by_name ?? '',
    invited_by_email: row.invited_by_email ?? '',
    expires_ms: row.expires_ms,
  };
}

/** The signed-in user whose address the invitation names joins the team with its role. */
export async function acceptInvitation(
  tx: ControlSql,
  token: string,
  user: { id: string; email: string },
  actor: Actor,
  now = Date.now(),
): Promise<{ team: { id: string; name: string; slug: string }; role: Role }> {
  const row = await byToken(tx, token, now, true);
  if (row.email !== user.email.toLowerCase()) {
    throw new DomainError('forbidden', `this invitation is for ${row.email}, and you are signed in as ${user.email}: sign in as ${row.email} to accept it`);
  }
  const role = await joinTeam(tx, row.team_id, user.id, row.role);
  await tx.query('UPDATE invitations SET accepted_at = to_timestamp($2 / 1000.0) WHERE id = $1', [row.id, now]);
  await audit(tx, actor, { teamId: row.team_id, action: 'invitation.accept', targetType: 'invitation', targetId: row.id, details: { email: row.email, role } });
  return { team: { id: row.team_id, name: row.team_name, slug: row.team_slug }, role };
}
