import type { DigestRecipient } from '@strix/contracts';
import { audit, type Actor } from './audit.ts';
import { lockInTransaction, type ControlSql } from './db.ts';

const columns = 'email, name, floor(extract(epoch FROM created_at) * 1000)::int8 AS created_at';

/** Who gets the project's issue digests, by email. */
export async function listDigestRecipients(db: ControlSql, projectId: string): Promise<DigestRecipient[]> {
  return db.query<DigestRecipient>(`SELECT ${columns} FROM digest_recipients WHERE project_id = $1 ORDER BY email`, [projectId]);
}

/**
 * Adds a recipient, idempotently: a current one keeps its `created_at` (and is
 * renamed when a new name is given); a new one starts now (or at `since`), so
 * its first digest covers nothing from before it joined.
 */
export async function addDigestRecipient(
  tx: ControlSql,
  teamId: string,
  projectId: string,
  recipient: { email: string; name?: string; since?: number },
  actor: Actor,
): Promise<{ recipient: DigestRecipient; created: boolean }> {
  await lockInTransaction(tx, `digest recipients of ${projectId}`);
  const [existing] = await tx.query<DigestRecipient>(`SELECT ${columns} FROM digest_recipients WHERE project_id = $1 AND email = $2`, [projectId, recipient.email]);
  if (existing) {
    if (recipient.name === undefined || recipient.name === existing.name) return { recipient: existing, created: false };
    const [renamed] = await tx.query<DigestRecipient>(`UPDATE digest_recipients SET name = $3 WHERE project_id = $1 AND email = $2 RETURNING ${columns}`, [
      projectId,
      recipient.email,
      recipient.name,
    ]);
    await audit(tx, actor, { teamId, projectId, action: 'digest_recipient.rename', targetType: 'digest_recipient', targetId: recipient.email, details: { name: recipient.name } });
    return { recipient: renamed!, created: false };
  }
  const [row] = await tx.query<DigestRecipient>(
    `INSERT INTO digest_recipients (project_id, email, name, created_at) VALUES ($1, $2, $3, coalesce(to_timestamp($4 / 1000.0), now())) RETURNING ${columns}`,
    [projectId, recipient.email, recipient.name ?? '', recipient.since ?? null],
  );
  await audit(tx, actor, { teamId, projectId, action: 'digest_recipient.add', targetType: 'digest_recipient', targetId: recipient.email });
  return { recipient: row!, created: true };
}

/** False when the address was not a recipient. */
export async function removeDigestRecipient(tx: ControlSql, teamId: string, projectId: string, email: string, actor: Actor): Promise<boolean> {
  const rows = await tx.query('DELETE FROM digest_recipients WHERE project_id = $1 AND email = $2 RETURNING email', [projectId, email]);
  if (rows.length === 0) return false;
  await audit(tx, actor, { teamId, projectId, action: 'digest_recipient.remove', targetType: 'digest_recipient', targetId: email });
  return true;
}
