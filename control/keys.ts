import { randomUUID } from 'node:crypto';
import {
  DomainError,
  allowedPermissions,
  defaultPermissions,
  generateKey,
  hashKey,
  keyPrefix,
  permissions as knownPermissions,
  type KeyType,
  type Platform,
  type Principal,
} from '@strix/contracts';
import { audit, auditInProject, bumpRevision, type Actor } from './audit.ts';
import type { ControlSql } from './db.ts';
import { getApp, getProject } from './projects.ts';

export interface KeyRow {
  id: string;
  key_prefix: string;
  key_type: KeyType;
  name: string;
  project_id: string;
  app_id: string | null;
  permissions: string[];
  created_by: string | null;
  created_ms: number;
  expires_ms: number | null;
  revoked_ms: number | null;
  replaced_by: string | null;
}

const ms = (column: string) => `floor(extract(epoch FROM k.${column}) * 1000)::int8 AS ${column.replace(/_at$/, '_ms')}`;
const keyColumns = `k.id, k.key_prefix, k.key_type, k.name, k.project_id, k.app_id, k.permissions, k.created_by,
  ${ms('created_at')}, ${ms('expires_at')}, ${ms('revoked_at')}, k.replaced_by`;

export interface NewKey {
  type: KeyType;
  /** Required for client and import keys; agent keys have none. */
  appId?: string | null;
  name?: string;
  /** The type's defaults when omitted; each must be allowed for the type. */
  permissions?: readonly string[];
  /** Epoch ms; none means the key does not expire. */
  expiresAt?: number | null;
  /** The user who created it (their agent keys are revoked when they leave the team). */
  createdBy?: string | null;
}

/** Checks a permission list against the key type's allowed ones: a clear refusal names the first that is not. */
export function checkPermissions(type: KeyType, requested: readonly string[] | undefined): string[] {
  const list = [...new Set(requested ?? defaultPermissions[type])].sort();
  for (const permission of list) {
    if (!(knownPermissions as readonly string[]).includes(permission)) {
      throw new DomainError('invalid', `permissions: "${permission}" is not a permission; known: ${knownPermissions.join(', ')}`);
    }
    if (!(allowedPermissions[type] as readonly string[]).includes(permission)) {
      throw new DomainError('invalid', `permissions: "${permission}" is not allowed for ${type} keys; allowed: ${allowedPermissions[type].join(', ')}`);
    }
  }
  return list;
}

/** Creates a key and returns it with its secret, which is never stored and cannot be shown again. */
export async function createKey(tx: ControlSql, projectId: string, key: NewKey, actor: Actor, secret = generateKey(key.type)): Promise<{ key: KeyRow; secret: string }> {
  const project = await getProject(tx, projectId);
  if (!project) throw new DomainError('not_found', `project ${projectId} does not exist`);
  const appId = key.type === 'agent' ? null : key.appId;
  if (key.type === 'agent' && key.appId) throw new DomainError('invalid', 'app_id: agent keys belong to the whole project, not to an app');
  if (key.type !== 'agent') {
    if (!appId) throw new DomainError('invalid', `app_id: is required for ${key.type} keys`);
    if (!(await getApp(tx, projectId, appId))) throw new DomainError('not_found', `app ${appId} does not exist in project ${projectId}`);
  }
  if (key.expiresAt != null && key.expiresAt <= Date.now()) throw new DomainError('invalid', 'expires_at: must be in the future');
  const permissions = checkPermissions(key.type, key.permissions);
  const id = randomUUID();
  await tx.query(
    `INSERT INTO api_keys (id, key_hash, key_prefix, key_type, name, project_id, app_id, permissions, created_by, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, to_timestamp($10 / 1000.0))`,
    [id, hashKey(secret), keyPrefix(secret), key.type, key.name ?? '', projectId, appId ?? null, permissions, key.createdBy ?? null, key.expiresAt ?? null],
  );
  await bumpRevision(tx);
  await audit(tx, actor, {
    teamId: project.team_id,
    projectId,
    action: 'key.create',
    targetType: 'api_key',
    targetId: id,
    details: { type: key.type, name: key.name ?? '', app_id: appId ?? null, permissions, prefix: keyPrefix(secret) },
  });
  return { key: (await getKey(tx, projectId, id))!, secret };
}

export async function getKey(db: ControlSql, projectId: string, keyId: string): Promise<KeyRow | undefined> {
  const [row] = await db.query<KeyRow>(`SELECT ${keyColumns} FROM api_keys k WHERE k.project_id = $1 AND k.id = $2`, [projectId, keyId]);
  return row;
}

/** The project's keys, newest first (revoked and expired ones included: they say when). */
export async function listKeys(db: ControlSql, projectId: string): Promise<KeyRow[]> {
  return db.query<KeyRow>(`SELECT ${keyColumns} FROM api_keys k WHERE k.project_id = $1 ORDER BY k.created_at DESC, k.id`, [projectId]);
}

/**
 * A new secret for a key: a new key with the same type, app, name and
 * permissions; the old one keeps working for `overlapMs` (so deployed apps can
 * roll), then expires.
 */
export async function rotateKey(tx: ControlSql, projectId: string, keyId: string, overlapMs: number, actor: Actor): Promise<{ key: KeyRow; secret: string }> {
  const old = await getKey(tx, projectId, keyId);
  if (!old) throw new DomainError('not_found', `key ${keyId} does not exist in project ${projectId}`);
  if (old.revoked_ms !== null) throw new DomainError('conflict', `key ${keyId} is revoked; create a new one`);
  if (old.replaced_by !== null) throw new DomainError('conflict', `key ${keyId} was already rotated to ${old.replaced_by}`);
  // Its successor would inherit an expiry already past (and be refused as such): an expired key is replaced, not rotated.
  if (old.expires_ms !== null && old.expires_ms <= Date.now()) throw new DomainError('conflict', `key ${keyId} has expired; create a new one`);
  const created = await createKey(
    tx,
    projectId,
    { type: old.key_type, appId: old.app_id, name: old.name, permissions: old.permissions, expiresAt: old.expires_ms, createdBy: old.created_by },
    actor,
  );
  const ends = Date.now() + overlapMs;
  await tx.query(
    `UPDATE api_keys SET replaced_by = $2, expires_at = least(coalesce(expires_at, 'infinity'), to_timestamp($3 / 1000.0)) WHERE id = $1`,
    [keyId, created.key.id, ends],
  );
  await auditInProject(tx, actor, projectId, {
    action: 'key.rotate',
    targetType: 'api_key',
    targetId: keyId,
    details: { replaced_by: created.key.id, old_key_expires_at: new Date(ends).toISOString() },
  });
  return created;
}

/** Revokes a key at once; false when it does not exist or was already revoked. */
export async function revokeKey(tx: ControlSql, projectId: string, keyId: string, actor: Actor): Promise<boolean> {
  const [row] = await tx.query<{ id: string }>('UPDATE api_keys SET revoked_at = now() WHERE project_id = $1 AND id = $2 AND revoked_at IS NULL RETURNING id', [
    projectId,
    keyId,
  ]);
  if (!row) return false;
  await bumpRevision(tx);
  await auditInProject(tx, actor, projectId, { action: 'key.revoke', targetType: 'api_key', targetId: keyId });
  return true;
}

/** Revokes the agent keys a user created in a team's projects (they left the team). */
export async function revokeAgentKeysOf(tx: ControlSql, teamId: string, userId: string, actor: Actor): Promise<number> {
  const rows = await tx.query<{ id: string; project_id: string }>(
    `UPDATE api_keys SET revoked_at = now()
     WHERE created_by = $2 AND key_type = 'agent' AND revoked_at IS NULL AND project_id IN (SELECT id FROM projects WHERE team_id = $1)
     RETURNING id, project_id`,
    [teamId, userId],
  );
  for (const row of rows) {
    await audit(tx, actor, { teamId, projectId: row.project_id, action: 'key.revoke', targetType: 'api_key', targetId: row.id, details: { reason: 'creator left the team' } });
  }
  if (rows.length > 0) await bumpRevision(tx);
  return rows.length;
}

interface PrincipalRow {
  id: string;
  key_hash: string;
  key_prefix: string;
  key_type: KeyType;
  team_id: string;
  project_id: string;
  app_id: string | null;
  platform: Platform | null;
  permissions: string[];
  expires_ms: number | null;
  revoked: boolean;
  retention_events_days: number;
}

/**
 * Every key of a live project, for the in-memory registry. Revoked keys (and
 * keys of deleted apps) are kept, marked revoked, and expired ones too, so a
 * refusal can say why.
 */
export async function loadPrincipals(db: ControlSql): Promise<Principal[]> {
  const rows = await db.query<PrincipalRow>(
    `SELECT k.id, k.key_hash, k.key_prefix, k.key_type, p.team_id, k.project_id, k.app_id, a.platform, k.permissions,
            ${ms('expires_at')}, (k.revoked_at IS NOT NULL OR a.deleted_at IS NOT NULL) AS revoked, p.retention_events_days
     FROM api_keys k
     JOIN projects p ON p.id = k.project_id AND p.deleted_at IS NULL
     LEFT JOIN apps a ON a.id = k.app_id`,
  );
  return rows.map((r) => ({
    keyHash: r.key_hash,
    keyId: r.id,
    keyPrefix: r.key_prefix,
    keyType: r.key_type,
    teamId: r.team_id,
    projectId: r.project_id,
    appId: r.app_id ?? '',
    ...(r.platform && { platform: r.platform }),
    permissions: r.permissions,
    revoked: r.revoked,
    expiresAt: r.expires_ms,
    retentionDays: r.retention_events_days,
  }));
}
