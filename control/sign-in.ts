import { createHash, randomBytes, randomInt, randomUUID, timingSafeEqual } from 'node:crypto';
import { DomainError } from '@strix/contracts';
import type { Actor } from './audit.ts';
import { lockInTransaction, type ControlSql } from './db.ts';
import { ensureUser, setTeamRole, type UserRow } from './users.ts';

/** A mailed code and its link work this long. */
export const signInCodeLifetimeMs = 10 * 60_000;
/** The first-start owner link (and each one STRIX_PRINT_SIGNIN prints) works this long. */
export const ownerLinkLifetimeMs = 24 * 3600_000;
/** Wrong codes a code survives; the next request needs a new code. */
export const maxCodeAttempts = 5;
/**
 * Codes one address may be sent per window. With 5 tries each, a guesser gets
 * at most 25 of the million codes per window; the mailbox is not flooded.
 */
export const signInThrottle = { codes: 5, windowMs: 15 * 60_000 } as const;
/** The account an owner link signs in when no address is given and the team has no owner yet. */
export const ownerPlaceholderEmail = 'owner@localhost';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
// The row id salts the code's hash: equal codes of two rows do not share a hash.
const codeHash = (id: string, code: string) => sha256(`${id}:${code}`);
const newLinkToken = () => randomBytes(32).toString('base64url');

export interface SignInCode {
  readonly throttled: false;
  /** Six digits, to type in. */
  readonly code: string;
  /** The one-click link's secret. */
  readonly linkToken: string;
  readonly expiresAt: number;
}

export interface SignInThrottled {
  readonly throttled: true;
  /** When the address may ask again. */
  readonly retryAfterMs: number;
}

/**
 * A new code and link for an address, known or not (the account is made on
 * first sign-in, so both answer alike). It supersedes the address's older open
 * codes. Only hashes are stored.
 */
export async function requestSignInCode(tx: ControlSql, email: string, now = Date.now()): Promise<SignInCode | SignInThrottled> {
  const address = email.trim().toLowerCase();
  // Two requests at once must both see each other's rows for the throttle.
  await lockInTransaction(tx, `sign-in ${address}`);
  const recent = await tx.query<{ created_ms: number }>(
    `SELECT floor(extract(epoch FROM created_at) * 1000)::int8 AS created_ms FROM sign_in_codes
     WHERE email = $1 AND purpose = 'email' AND created_at > to_timestamp($2 / 1000.0) ORDER BY created_at`,
    [address, now - signInThrottle.windowMs],
  );
  if (recent.length >= signInThrottle.codes) {
    return { throttled: true, retryAfterMs: Math.max(1000, recent[0]!.created_ms + signInThrottle.windowMs - now) };
  }
  await tx.query(
    `UPDATE sign_in_codes SET expires_at = to_timestamp($2 / 1000.0)
     WHERE email = $1 AND purpose = 'email' AND used_at IS NULL AND expires_at > to_timestamp($2 / 1000.0)`,
    [address, now],
  );
  const id = randomUUID();
  const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
  const linkToken = newLinkToken();
  const expiresAt = now + signInCodeLifetimeMs;
  await tx.query(
    `INSERT INTO sign_in_codes (id, email, code_hash, link_hash, purpose, created_at, expires_at)
     VALUES ($1, $2, $3, $4, 'email', to_timestamp($5 / 1000.0), to_timestamp($6 / 1000.0))`,
    [id, address, codeHash(id, code), sha256(linkToken), now, expiresAt],
  );
  return { throttled: false, code, linkToken, expiresAt };
}

/**
 * A one-time link that signs its user in as an owner of `teamId`: how a fresh
 * install without SMTP gets its first owner. A new one supersedes the team's
 * older open owner links.
 */
export async function createOwnerLink(tx: ControlSql, teamId: string, now = Date.now()): Promise<{ token: string; expiresAt: number }> {
  await tx.query(
    `UPDATE sign_in_codes SET expires_at = to_timestamp($2 / 1000.0)
     WHERE team_id = $1 AND purpose = 'owner' AND used_at IS NULL AND expires_at > to_timestamp($2 / 1000.0)`,
    [teamId, now],
  );
  const id = randomUUID();
  const token = newLinkToken();
  const expiresAt = now + ownerLinkLifetimeMs;
  // Owner links have no code to type: the code hash is of a secret nobody holds.
  await tx.query(
    `INSERT INTO sign_in_codes (id, email, code_hash, link_hash, purpose, team_id, created_at, expires_at)
     VALUES ($1, '', $2, $3, 'owner', $4, to_timestamp($5 / 1000.0), to_timestamp($6 / 1000.0))`,
    [id, sha256(newLinkToken()), sha256(token), teamId, now, expiresAt],
  );
  return { token, expiresAt };
}

/** A mailed code typed in, or a link's token (an owner link may name the address to sign in with). */
export type SignInProof = { email: string; code: string } | { token: string; email?: string };

export interface SignedIn {
  user: UserRow;
  /** The account was made by this sign-in. */
  created: boolean;
  /** The team an owner link made the user an owner of. */
  ownerOf?: string;
}

interface CodeRow {
  id: string;
  email: string;
  code_hash: string;
  purpose: 'email' | 'owner';
  team_id: string | null;
  attempts: number;
  expires_ms: number;
  used: boolean;
}

const codeColumns = `id, email, code_hash, purpose, team_id, attempts,
  floor(extract(epoch FROM expires_at) * 1000)::int8 AS expires_ms, used_at IS NOT NULL AS used`;

const refusal = (field: string, message: string) => new DomainError('invalid', `${field}: ${message}`);

const sameHash = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/**
 * Signs a person in with a code or a link; the account is made on first use.
 * A refusal is returned, not thrown: a wrong code's counted attempt must
 * commit with the transaction (throw the error after it).
 */
export async function verifySignIn(tx: ControlSql, proof: SignInProof, now = Date.now(), ip?: string): Promise<SignedIn | DomainError> {
  if ('token' in proof) return verifyLink(tx, proof, now, ip);
  const address = proof.email.trim().toLowerCase();
  const [row] = await tx.query<CodeRow>(
    `SELECT ${codeColumns} FROM sign_in_codes WHERE email = $1 AND purpose = 'email'
     ORDER BY created_at DESC, expires_at DESC LIMIT 1 FOR UPDATE`,
    [address],
  );
  if (!row) return refusal('code', 'no code was sent to this address; ask for one with POST /v1/auth/send-code');
  if (row.used) return refusal('code', 'this code was already used; ask for a new one');
  if (row.attempts >= maxCodeAttempts) return refusal('code', `${maxCodeAttempts} wrong tries: this code no longer works; ask for a new one`);
  if (row.expires_ms <= now) return refusal('code', `expired (codes work ${signInCodeLifetimeMs / 60_000} minutes); ask for a new one`);
  if (!sameHash(row.code_hash, codeHash(row.id, proof.code))) {
    const attempts = row.attempts + 1;
    await tx.query('UPDATE sign_in_codes SET attempts = $2 WHERE id = $1', [row.id, attempts]);
    const left = maxCodeAttempts - attempts;
    return refusal('code', left > 0 ? `wrong code; ${left} ${left === 1 ? 'try' : 'tries'} left` : `wrong code; that was the ${maxCodeAttempts}th wrong try, so this code no longer works: ask for a new one`);
  }
  await tx.query('UPDATE sign_in_codes SET used_at = to_timestamp($2 / 1000.0) WHERE id = $1', [row.id, now]);
  return ensureUser(tx, address);
}

async function verifyLink(tx: ControlSql, proof: { token: string; email?: string }, now: number, ip: string | undefined): Promise<SignedIn | DomainError> {
  const [row] = await tx.query<CodeRow>(`SELECT ${codeColumns} FROM sign_in_codes WHERE link_hash = $1 FOR UPDATE`, [sha256(proof.token)]);
  if (!row) return refusal('token', 'not a sign-in link Strix made; ask for a new code');
  if (row.used) return refusal('token', 'this link was already used; ask for a new code');
  if (row.attempts >= maxCodeAttempts) return refusal('token', `its code had ${maxCodeAttempts} wrong tries, so this link no longer works; ask for a new code`);
  if (row.expires_ms <= now) {
    const lifetime = row.purpose === 'owner' ? '24 hours' : `${signInCodeLifetimeMs / 60_000} minutes`;
    return refusal('token', `this link expired (links work ${lifetime}) or a newer one replaced it; ask for a new one`);
  }
  await tx.query('UPDATE sign_in_codes SET used_at = to_timestamp($2 / 1000.0) WHERE id = $1', [row.id, now]);
  if (row.purpose === 'email') return ensureUser(tx, row.email);
  const teamId = row.team_id!;
  const signedIn = proof.email ? await ensureUser(tx, proof.email) : await ownerAccount(tx, teamId);
  const { user } = signedIn;
  const actor: Actor = { type: 'user', id: user.id, label: user.email, ...(ip !== undefined && { ip }) };
  await setTeamRole(tx, teamId, user.id, 'owner', actor);
  return { ...signedIn, ownerOf: teamId };
}

/** The team's first owner (a new link for the same operator), or a placeholder account when it has none yet. */
async function ownerAccount(tx: ControlSql, teamId: string): Promise<{ user: UserRow; created: boolean }> {
  const [owner] = await tx.query<{ email: string }>(
    `SELECT u.email FROM team_members m JOIN users u ON u.id = m.user_id WHERE m.team_id = $1 AND m.role = 'owner' ORDER BY m.created_at, u.email LIMIT 1`,
    [teamId],
  );
  return ensureUser(tx, owner?.email ?? ownerPlaceholderEmail);
}
