import type { SavedFunnelStore, StoredFunnel } from '@strix/contracts';
import { audit, systemActor } from './audit.ts';
import type { ControlDb, ControlSql } from './db.ts';

const columns = `id, name, definition,
  floor(extract(epoch FROM created_at) * 1000)::int8 AS created_at,
  floor(extract(epoch FROM updated_at) * 1000)::int8 AS updated_at`;

const ms = (param: string) => `to_timestamp(${param} / 1000.0)`;

/**
 * Saved funnels in the control plane. Ties of `created_at` are broken by id
 * in bytewise order (COLLATE "C"), as the warehouse ordered them, whatever
 * collation the server's database was created with.
 */
export class SavedFunnels implements SavedFunnelStore {
  constructor(private readonly db: ControlDb) {}

  async create(projectId: string, f: StoredFunnel): Promise<void> {
    await this.db.query(
      `INSERT INTO saved_funnels (id, project_id, name, definition, created_at, updated_at) VALUES ($1, $2, $3, $4::jsonb, ${ms('$5')}, ${ms('$6')})`,
      [f.id, projectId, f.name, JSON.stringify(f.definition), f.created_at, f.updated_at],
    );
  }

  list(projectId: string, page: { limit: number; offset: number }): Promise<StoredFunnel[]> {
    return this.db.query<StoredFunnel>(
      `SELECT ${columns} FROM saved_funnels WHERE project_id = $1 AND deleted_at IS NULL ORDER BY created_at, id COLLATE "C" LIMIT $2 OFFSET $3`,
      [projectId, page.limit, page.offset],
    );
  }

  get(projectId: string, id: string): Promise<StoredFunnel | undefined> {
    return liveFunnel(this.db, projectId, id);
  }

  update(projectId: string, id: string, change: (current: StoredFunnel) => StoredFunnel): Promise<StoredFunnel | undefined> {
    return this.db.transaction(async (tx) => {
      const current = await liveFunnel(tx, projectId, id, 'FOR UPDATE');
      if (!current) return undefined;
      const next = change(current);
      const [row] = await tx.query<StoredFunnel>(
        `UPDATE saved_funnels SET name = $3, definition = $4::jsonb, updated_at = ${ms('$5')} WHERE project_id = $1 AND id = $2 RETURNING ${columns}`,
        [projectId, id, next.name, JSON.stringify(next.definition), next.updated_at],
      );
      return row;
    });
  }

  async delete(projectId: string, id: string, at: number): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE saved_funnels SET deleted_at = ${ms('$3')}, updated_at = greatest(updated_at, ${ms('$3')})
       WHERE project_id = $1 AND id = $2 AND deleted_at IS NULL RETURNING id`,
      [projectId, id, at],
    );
    return rows.length > 0;
  }
}

async function liveFunnel(db: ControlSql, projectId: string, id: string, lock = ''): Promise<StoredFunnel | undefined> {
  const [row] = await db.query<StoredFunnel>(`SELECT ${columns} FROM saved_funnels WHERE project_id = $1 AND id = $2 AND deleted_at IS NULL ${lock}`, [projectId, id]);
  return row;
}

/** A saved funnel as an older Strix kept it in the warehouse. */
export interface LegacyFunnel extends StoredFunnel {
  readonly project_id: string;
}

const funnelImportLock = 7_311_204;

/**
 * Copies the warehouse's saved funnels into the control plane, for installs
 * whose control data was imported before funnels moved here. Idempotent: a
 * funnel already here (live or deleted) is left alone, and funnels of
 * projects that are gone or deleted are skipped. Returns how many it copied.
 */
export async function importLegacyFunnels(db: ControlDb, funnels: readonly LegacyFunnel[]): Promise<number> {
  if (funnels.length === 0) return 0;
  return db.transaction(async (tx) => {
    // Two roles starting together copy once; the second finds every id taken.
    await tx.query('SELECT pg_advisory_xact_lock($1)', [funnelImportLock]);
    const copied = new Map<string, { teamId: string; count: number }>();
    for (const f of funnels) {
      const [row] = await tx.query<{ team_id: string }>(
        `INSERT INTO saved_funnels (id, project_id, name, definition, created_at, updated_at)
         SELECT $1, p.id, $3, $4::jsonb, ${ms('$5')}, ${ms('$6')} FROM projects p WHERE p.id = $2 AND p.deleted_at IS NULL
         ON CONFLICT (id) DO NOTHING
         RETURNING (SELECT team_id FROM projects WHERE id = $2) AS team_id`,
        [f.id, f.project_id, f.name, JSON.stringify(f.definition), f.created_at, f.updated_at],
      );
      if (!row) continue;
      const entry = copied.get(f.project_id) ?? { teamId: row.team_id, count: 0 };
      copied.set(f.project_id, { ...entry, count: entry.count + 1 });
    }
    const actor = systemActor('import from the warehouse');
    for (const [projectId, { teamId, count }] of copied) {
      await audit(tx, actor, { teamId, projectId, action: 'funnel.import', targetType: 'project', targetId: projectId, details: { funnels: count } });
    }
    return [...copied.values()].reduce((sum, c) => sum + c.count, 0);
  });
}

/** Whether the control plane holds any saved funnel, deleted ones included: once it does, the warehouse's are not read again. */
export async function hasSavedFunnels(db: ControlSql): Promise<boolean> {
  return (await db.query('SELECT 1 FROM saved_funnels LIMIT 1')).length > 0;
}
