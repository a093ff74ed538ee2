import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Role, SessionUser } from '@strix/contracts';
import type { ControlSql } from './db.ts';

/** A session lives this long after its last use (sliding). */
export const sessionLifetimeMs = 30 * 24 * 3600_000;
// Sliding writes at most once per this, so a busy dashboard does not write on every request.
const slideEveryMs = 3600_000;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export interface NewSession {
  id: string;
  /** The cookie's secret: stored only as a hash. */
  token: string;
  /** The double-submit CSRF value for the readable cookie. */
  csrf: string;
  expiresAt: number;
}

export interface SessionRow {
  id: string;
  created_ms: number;
  last_seen_ms: number;
  expires_ms: number;
  user_agent: string;
  ip: string;
}

/** Signs a user in: a new session, valid for `sessionLifetimeMs` after each use. */
export async function createSession(tx: ControlSql, userId: string, client: { userAgent?: string; ip?: string }, now = Date.now()): Promise<NewSession> {
  const token = randomBytes(32).toString('hex');
  const id = randomUUID();
  const expiresAt = now + sessionLifetimeMs;
  await tx.query(
    `INSERT INTO sessions (id, token_hash, user_id, created_at, last_seen_at, expires_at, user_agent, ip)
     VALUES ($1, $2, $3, to_timestamp($4 / 1000.0), to_timestamp($4 / 1000.0), to_timestamp($5 / 1000.0), $6, $7)`,
    [id, sha256(token), userId, now, expiresAt, (client.userAgent ?? '').slice(0, 512), client.ip ?? ''],
  );
  return { id, token, csrf: randomBytes(16).toString('hex'), expiresAt };
}

/** The user a session token signs in, with their teams; slides the expiry. Undefined when unknown, expired or revoked. */
export async function resolveSession(db: ControlSql, token: string, now = Date.now()): Promise<SessionUser | undefined> {
  const [row] = await db.query<{ id: string; user_id: string; email: string; name: string; expires_ms: number; last_seen_ms: number }>(
    `SELECT s.id, s.user_id, u.email, u.name,
            floor(extract(epoch FROM s.expires_at) * 1000)::int8 AS expires_ms, floor(extract(epoch FROM s.last_seen_at) * 1000)::int8 AS last_seen_ms
     FROM sessions s JOIN users u ON u.id = s.user_id
     WHERE s.token_hash = $1 AND s.revoked_at IS NULL`,
    [sha256(token)],
  );
  if (!row || row.expires_ms <= now) return undefined;
  if (now - row.last_seen_ms >= slideEveryMs) {
    await db.query('UPDATE sessions SET last_seen_at = to_timestamp($2 / 1000.0), expires_at = to_timestamp($3 / 1000.0) WHERE id = $1', [
      row.id,
      now,
      now + sessionLifetimeMs,
    ]);
  }
  const teams = await db.query<{ team_id: string; role: Role }>('SELECT team_id, role FROM team_members WHERE user_id = $1', [row.user_id]);
  return { sessionId: row.id, userId: row.user_id, email: row.email, name: row.name, teams: new Map(teams.map((t) => [t.team_id, t.role])) };
}

/** A user's live sessions, most recently used first. */
export async function listSessions(db: ControlSql, userId: string, now = Date.now()): Promise<SessionRow[]> {
  return db.query<SessionRow>(
    `SELECT id, floor(extract(epoch FROM created_at) * 1000)::int8 AS created_ms, floor(extract(epoch FROM last_seen_at) * 1000)::int8 AS last_seen_ms,
            floor(extract(epoch FROM expires_at) * 1000)::int8 AS expires_ms, user_agent, ip
     FROM sessions WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > to_timestamp($2 / 1000.0)
     ORDER BY last_seen_at DESC, id`,
    [userId, now],
  );
}

/** Signs one session out; false when it is not the user's or already out. */
export async function revokeSession(tx: ControlSql, userId: string, sessionId: string): Promise<boolean> {
  const rows = await tx.query('UPDATE sessions SET revoked_at = now() WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL RETURNING id', [sessionId, userId]);
  return rows.length > 0;
}

/** Signs every session of a user out ("sign out everywhere"), but `except` (the caller's own, when kept); returns how many. */
export async function revokeUserSessions(tx: ControlSql, userId: string, except?: string): Promise<number> {
  const rows = await tx.query('UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL AND id <> $2 RETURNING id', [userId, except ?? '']);
  return rows.length;
}
