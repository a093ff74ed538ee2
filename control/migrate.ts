import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ControlDb } from './db.ts';

/** The control plane's schema: numbered migrations, like the warehouse's `sql/`. */
export const controlSqlDir = join(import.meta.dirname, 'sql');

const migrationFile = /^(\d{3})_[a-z0-9_]+\.sql$/;

// Any constant both engines agree on: roles starting together migrate one at a time.
const migrationLock = 7_311_202;

/**
 * Applies every migration not yet recorded in `control_migrations`, each in
 * its own transaction with its record, so a crash leaves a migration wholly
 * applied or not at all. Returns the names it ran.
 */
export async function migrateControl(db: ControlDb, dir: string = controlSqlDir): Promise<string[]> {
  const names = (await readdir(dir)).filter((n) => migrationFile.test(n)).sort();
  // Under the lock too: two servers running CREATE TABLE IF NOT EXISTS at once can both try to create it (a unique violation on pg_type).
  await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [migrationLock]);
    await tx.exec(`CREATE TABLE IF NOT EXISTS control_migrations (
      version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
  });
  const ran: string[] = [];
  for (const name of names) {
    const version = Number(migrationFile.exec(name)?.[1]);
    const sql = await readFile(join(dir, name), 'utf8');
    const applied = await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [migrationLock]);
      const done = await tx.query('SELECT 1 FROM control_migrations WHERE version = $1', [version]);
      if (done.length > 0) return false;
      await tx.exec(sql);
      await tx.query('INSERT INTO control_migrations (version, name) VALUES ($1, $2)', [version, name]);
      return true;
    });
    if (applied) ran.push(name);
  }
  return ran;
}
