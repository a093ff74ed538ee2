import type { ControlSql } from './db.ts';

/** Who did something: a signed-in user, a key, or Strix itself (migrations, jobs). */
export interface Actor {
  readonly type: 'user' | 'key' | 'system';
  readonly id: string;
  /** An email, a key prefix, or a job name: what a reader of the log recognises. */
  readonly label: string;
  /** The client's address, when the action came through HTTP. */
  readonly ip?: string;
}

export const systemActor = (label: string): Actor => ({ type: 'system', id: 'strix', label });

export interface AuditEntry {
  readonly teamId: string | null;
  readonly projectId?: string | null;
  readonly action: string;
  readonly targetType: string;
  readonly targetId: string;
  readonly details?: Record<string, unknown>;
}

/** Appends one entry about something of a project, under the project's team. */
export async function auditInProject(tx: ControlSql, actor: Actor, projectId: string, entry: Omit<AuditEntry, 'teamId' | 'projectId'>): Promise<void> {
  const [project] = await tx.query<{ team_id: string }>('SELECT team_id FROM projects WHERE id = $1', [projectId]);
  await audit(tx, actor, { teamId: project?.team_id ?? null, projectId, ...entry });
}

/** Appends one entry; call it in the transaction of the change it records. */
export async function audit(tx: ControlSql, actor: Actor, entry: AuditEntry): Promise<void> {
  await tx.query(
    `INSERT INTO audit_log (team_id, project_id, actor_type, actor_id, actor_label, action, target_type, target_id, details, ip)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [
      entry.teamId,
      entry.projectId ?? null,
      actor.type,
      actor.id,
      actor.label,
      entry.action,
      entry.targetType,
      entry.targetId,
      JSON.stringify(entry.details ?? {}),
      actor.ip ?? '',
    ],
  );
}

export interface AuditLogRow {
  id: number;
  team_id: string | null;
  project_id: string | null;
  actor_type: Actor['type'];
  actor_id: string;
  actor_label: string;
  action: string;
  target_type: string;
  target_id: string;
  details: Record<string, unknown>;
  ip: string;
  created_ms: number;
}

/**
 * A team's log, newest first: `before` is the id of the last entry of the
 * previous page (the cursor); `projectId` keeps one project's entries.
 */
export async function listAuditLog(
  db: ControlSql,
  teamId: string,
  options: { projectId?: string; before?: number; limit: number },
): Promise<AuditLogRow[]> {
  return db.query<AuditLogRow>(
    `SELECT id, team_id, project_id, actor_type, actor_id, actor_label, action, target_type, target_id, details, ip,
            floor(extract(epoch FROM created_at) * 1000)::int8 AS created_ms
     FROM audit_log
     WHERE team_id = $1 AND ($2::text IS NULL OR project_id = $2) AND ($3::int8 IS NULL OR id < $3)
     ORDER BY id DESC LIMIT $4`,
    [teamId, options.projectId ?? null, options.before ?? null, options.limit],
  );
}

/** Moves the revision every process polls; call it in the transaction of any change to keys, projects or apps. */
export async function bumpRevision(tx: ControlSql): Promise<void> {
  await tx.query('UPDATE control_revision SET revision = revision + 1');
}

export async function currentRevision(db: ControlSql): Promise<number> {
  const [row] = await db.query<{ revision: number }>('SELECT revision FROM control_revision');
  return row?.revision ?? 0;
}
