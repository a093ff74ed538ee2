import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { Warehouse } from '@strix/contracts';
import { queryRows } from './query-rows.ts';

/** The ClickHouse schema: numbered migrations, and `views/` for analysts. The one place that knows where it lives. */
export const sqlDir = join(import.meta.dirname, '..', 'sql');

const AppliedMigration = z.object({ version: z.coerce.number() });

const migrationFile = /^(\d{3})_[a-z0-9_]+\.sql$/;

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly statements: string[];
}

/** Splits a migration into statements: `;` at the end of a line ends one. Comment lines are dropped. */
export function splitStatements(sql: string): string[] {
  const body = sql
    .split('\n')
    .filter((line) => !line.trim().startsWith('--'))
    .join('\n');
  return body
    .split(/;\s*$/m)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

export async function loadMigrations(dir: string): Promise<Migration[]> {
  const names = (await readdir(dir)).filter((n) => migrationFile.test(n)).sort();
  const migrations: Migration[] = [];
  for (const name of names) {
    const version = Number(migrationFile.exec(name)?.[1]);
    if (migrations.some((m) => m.version === version)) {
      throw new Error(`two migrations share number ${version} in ${dir}`);
    }
    migrations.push({ version, name, statements: splitStatements(await readFile(join(dir, name), 'utf8')) });
  }
  return migrations;
}

/**
 * Applies every migration not yet recorded in `schema_migrations`, in order,
 * then the analyst views of `<dir>/views`. Statements are idempotent (IF NOT
 * EXISTS), so a crash between a statement and its record only means the
 * statement runs again. Views are not versioned: each file is `CREATE OR
 * REPLACE VIEW`, run at every start, so a view's file is always what is served.
 */
export async function migrate(warehouse: Warehouse, dir: string): Promise<string[]> {
  await warehouse.command(`CREATE TABLE IF NOT EXISTS schema_migrations
    (version UInt32, name String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3))
    ENGINE = ReplacingMergeTree ORDER BY version`);
  const applied = new Set(
    (await queryRows(warehouse, 'schema migrations', AppliedMigration, 'SELECT version FROM schema_migrations FINAL')).map((r) => r.version),
  );
  const ran: string[] = [];
  for (const migration of await loadMigrations(dir)) {
    if (applied.has(migration.version)) continue;
    for (const statement of migration.statements) await warehouse.command(statement);
    await warehouse.insert('schema_migrations', [{ version: migration.version, name: migration.name }]);
    ran.push(migration.name);
  }
  await applyViews(warehouse, join(dir, 'views'));
  return ran;
}

const viewFile = /^[a-z0-9_]+\.sql$/;

async function applyViews(warehouse: Warehouse, dir: string): Promise<void> {
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => viewFile.test(n)).sort();
  for (const name of names) {
    for (const statement of splitStatements(await readFile(join(dir, name), 'utf8'))) await warehouse.command(statement);
  }
}
