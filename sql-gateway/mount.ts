import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { KeyRegistry } from '@strix/http';
import { unscopedTables } from '@strix/warehouse/chdb-engine';
import { ChdbSql } from '@strix/warehouse/chdb-sql';
import { clickhouseRoutes, type ClickHouseAccess } from './routes.ts';

/** The gateway's store and caps (`server/config.ts` reads them from `STRIX_SQL_*`). */
export interface SqlGatewayOptions {
  /** The chDB data path of the process's warehouse. */
  dataPath: string;
  maxConcurrent: number;
  maxConcurrentPerKey: number;
  maxExecutionSeconds: number;
  maxMemoryBytes: number;
  maxResultBytes: number;
  /** Full SQL for user `admin` with this password; none when undefined. */
  adminPassword: string | undefined;
}

function samePassword(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Serves the ClickHouse HTTP protocol at /clickhouse over the process's chDB
 * store: read-only and scoped to the project for agent keys (analysts' tools),
 * and full SQL for user `admin` when STRIX_SQL_ADMIN_PASSWORD is set (other
 * roles' warehouse adapter, when this api role hosts the store). Refuses to
 * start when a table holds projects' rows without a row policy. Returns the
 * function that closes the engine session.
 */
export async function mountSqlGateway(app: FastifyInstance, options: SqlGatewayOptions, keys: KeyRegistry): Promise<() => void> {
  const { dataPath } = options;
  const engine = ChdbSql.open(dataPath);
  const withProjects = await engine.rows<{ name: string }>("SELECT DISTINCT table AS name FROM system.columns WHERE database = currentDatabase() AND name = 'project_id'");
  const unscoped = unscopedTables(withProjects.map((t) => t.name));
  if (unscoped.length > 0) {
    engine.close();
    throw new Error(`tables ${unscoped.join(', ')} hold a project_id but have no row policy: add them to projectScopedTables (warehouse/chdb-engine.ts)`);
  }
  const admin = options.adminPassword;
  await app.register(clickhouseRoutes, {
    engine,
    // buildHttpApp's preParsing hook already gunzips request bodies.
    decompress: false,
    analyst: {
      dataPath,
      maxConcurrent: options.maxConcurrent,
      maxConcurrentPerKey: options.maxConcurrentPerKey,
      limits: { maxExecutionSeconds: options.maxExecutionSeconds, maxMemoryBytes: options.maxMemoryBytes, maxResultBytes: options.maxResultBytes },
    },
    authenticate: (user, password): ClickHouseAccess | undefined => {
      if (admin !== undefined && user === 'admin') return samePassword(password, admin) ? { kind: 'admin' } : undefined;
      const principal = keys.lookup(password);
      if (!principal || principal.keyType !== 'agent' || !principal.permissions.includes('events:read')) return undefined;
      return { kind: 'analyst', projectId: principal.projectId, keyId: principal.keyHash };
    },
  });
  return () => engine.close();
}
