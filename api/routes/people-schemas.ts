// The request and answer shapes of the people routes (auth.ts, sessions, me.ts, team.ts, invitations.ts).
import { z } from 'zod';
import { roles } from '@strix/contracts';
import type { InvitationRow, MemberRow, UserRow, UserTeamRow } from '@strix/control';
import { ApiError } from '@strix/http';

const required = (type: string) => (issue: { input: unknown }) => (issue.input === undefined ? 'is required' : `must be a ${type}`);

/** An address as stored: trimmed, lower-cased. 254 is RFC 5321's limit for a path. */
export const Email = z
  .string({ error: required('string') })
  .trim()
  .toLowerCase()
  .pipe(z.email({ error: 'must be an email address' }).max(254, { error: 'must be at most 254 characters' }));

export const RoleName = z.enum(roles, { error: `must be one of ${roles.join(', ')}` });

/** The secret of a link (sign-in, invitation): base64url, as Strix makes them. */
export const Token = z
  .string({ error: required('string') })
  .regex(/^[A-Za-z0-9_-]{16,100}$/, { error: 'must be the token of a link Strix sent (letters, digits, - and _)' });

export const Id = z.string({ error: required('string') }).min(1, { error: 'must not be empty' }).max(100, { error: 'must be at most 100 characters' });

export const PageQuery = z.strictObject({
  limit: z.coerce
    .number({ error: 'must be a number' })
    .int({ error: 'must be a whole number' })
    .min(1, { error: 'must be at least 1' })
    .max(200, { error: 'must be at most 200' })
    .default(50),
  cursor: z.string().max(400, { error: 'must be at most 400 characters' }).optional().meta({ description: 'next_cursor of the previous page' }),
});

/** Pages ordered by address carry the last address, opaque to clients. */
export function decodeEmailCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const email = Buffer.from(cursor, 'base64url').toString('utf8');
  if (email === '' || email.includes('\u0000') || Buffer.from(email, 'utf8').toString('base64url') !== cursor) {
    throw new ApiError('bad_request', 'query parameter cursor: not a cursor returned by this endpoint');
  }
  return email;
}

/** The next page's cursor, when this page was full. */
export const nextEmailCursor = (rows: readonly { email: string }[], limit: number): string | null =>
  rows.length === limit ? Buffer.from(rows[rows.length - 1]!.email, 'utf8').toString('base64url') : null;

export const iso = (ms: number) => new Date(ms).toISOString();

export const UserJson = z.object({ id: z.string(), email: z.string(), name: z.string(), created_at: z.string() });
export const userView = (u: UserRow): z.input<typeof UserJson> => ({ id: u.id, email: u.email, name: u.name, created_at: iso(u.created_ms) });

export const TeamJson = z.object({ id: z.string(), name: z.string(), slug: z.string(), role: RoleName, created_at: z.string(), joined_at: z.string() });
export const teamView = (t: UserTeamRow): z.input<typeof TeamJson> => ({
  id: t.id,
  name: t.name,
  slug: t.slug,
  role: t.role,
  created_at: iso(t.created_ms),
  joined_at: iso(t.joined_ms),
});

export const MemberJson = z.object({ user_id: z.string(), email: z.string(), name: z.string(), role: RoleName, joined_at: z.string() });
export const memberView = (m: MemberRow): z.input<typeof MemberJson> => ({ user_id: m.user_id, email: m.email, name: m.name, role: m.role, joined_at: iso(m.joined_ms) });

export const InvitationJson = z.object({
  id: z.string(),
  email: z.string(),
  role: RoleName,
  invited_by: z.object({ user_id: z.string(), email: z.string() }).nullable(),
  created_at: z.string(),
  expires_at: z.string(),
  /** Expired invitations stay listed until re-sent or revoked. */
  expired: z.boolean(),
});
export const invitationView = (i: InvitationRow, now = Date.now()): z.input<typeof InvitationJson> => ({
  id: i.id,
  email: i.email,
  role: i.role,
  invited_by: i.invited_by ? { user_id: i.invited_by, email: i.invited_by_email ?? '' } : null,
  created_at: iso(i.created_ms),
  expires_at: iso(i.expires_ms),
  expired: i.expires_ms <= now,
});

