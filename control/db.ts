/**
 * The control plane's store: PostgreSQL, embedded as PGlite (WebAssembly, in
 * this process, files under the data directory) or a server reached with `pg`.
 * Both adapters answer the same small port, so every query in `control/` runs
 * unchanged on either, and one contract suite proves it on both.
 */
import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { DomainError } from '@strix/contracts';

/** Something queries run on: the store, or one transaction of it. */
export interface ControlSql {
  /** Rows of one statement with `$1…` parameters; int8 and numeric come back as numbers on both engines. */
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  /** Several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface ControlDb extends ControlSql {
  readonly engine: 'pglite' | 'postgres';
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: ControlSql) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * PostgreSQL text cannot hold U+0000: a parameter with one fails the statement
 * with an engine error. The routes refuse it naming the field (http/parse.ts);
 * this keeps anything that reaches a query without them a client's 400.
 */
export function refuseNul(params: readonly unknown[]): void {
  const has = (v: unknown): boolean =>
    typeof v === 'string' ? v.includes('\u0000') : Array.isArray(v) ? v.some(has) : typeof v === 'object' && v !== null && !(v instanceof Date) ? Object.entries(v).some(([k, x]) => k.includes('\u0000') || has(x)) : false;
  if (params.some(has)) throw new DomainError('invalid', 'text: must not contain the character U+0000');
}

// The first key of every lock `lockInTransaction` takes, apart from the single-key locks of migrations.
const scopeLockSpace = 7_311_300;

/**
 * Holds a lock on `scope` until `tx` ends. A check then an insert (a free slug,
 * an absent recipient) lets two transactions on a server both pass the check
 * and one fail on the unique index; under this lock the second waits, then
 * sees the first's row.
 */
export async function lockInTransaction(tx: ControlSql, scope: string): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [scopeLockSpace, scope]);
}

/**
 * PGlite persisted in `dir` (created when missing), or in memory without one:
 * one connection, transactions take turns. Small shared buffers: the defaults
 * cost over 200 MiB of memory for tables this small.
 */
export async function openPglite(dir?: string): Promise<ControlDb> {
  if (dir) await mkdir(dir, { recursive: true });
  const db = await PGlite.create(dir, { postgresqlconf: ['shared_buffers = 8MB'] });
  const on = (q: Pick<PGlite, 'query' | 'exec'>): ControlSql => ({
    async query<Row>(sql: string, params: readonly unknown[] = []) {
      refuseNul(params);
      return (await q.query<Row>(sql, [...params])).rows;
    },
    async exec(sql: string) {
      await q.exec(sql);
    },
  });
  return {
    engine: 'pglite',
    ...on(db),
    transaction: (fn) => db.transaction((tx) => fn(on(tx))),
    close: () => db.close(),
  };
}

// int8 (counts, bigserial ids, quotas) and numeric as numbers, as PGlite returns them: every value stored here fits in 2^53.
const asNumbers = new Set<number>([pg.types.builtins.INT8, pg.types.builtins.NUMERIC]);
const types = {
  getTypeParser: (oid: number, format?: 'text' | 'binary'): ((value: string) => unknown) =>
    asNumbers.has(oid) ? Number : (pg.types.getTypeParser(oid, format) as (value: string) => unknown),
};

/** A PostgreSQL server (`STRIX_POSTGRES_URL`), through a small pool. */
export async function openPostgres(url: string, options: { maxConnections?: number } = {}): Promise<ControlDb> {
  const pool = new pg.Pool({ connectionString: url, max: options.maxConnections ?? 5, types });
  // An idle client's error (the server restarting) must not crash the process; the next query reconnects.
  pool.on('error', (error) => console.error('[strix] control-plane connection lost:', error.message));
  await pool.query('SELECT 1');
  const on = (q: pg.Pool | pg.PoolClient): ControlSql => ({
    async query<Row>(sql: string, params: readonly unknown[] = []) {
      refuseNul(params);
      return (await q.query(sql, [...params])).rows as Row[];
    },
    async exec(sql: string) {
      await q.query(sql);
    },
  });
  return {
    engine: 'postgres',
    ...on(pool),
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn(on(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}
