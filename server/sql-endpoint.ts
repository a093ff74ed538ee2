import { join } from 'node:path';
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { clickhouseRoutes, type ClickHouseAccess, type KeyRegistry } from '@strix/ingest';
import { ChdbSql } from '@strix/warehouse/chdb-sql';
import type { Config } from './config.ts';

function samePassword(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Serves the ClickHouse HTTP protocol at /clickhouse over the process's chDB
 * store: read-only and scoped to the project for agent keys (analysts' tools),
 * and full SQL for user `admin` when STRIX_SQL_ADMIN_PASSWORD is set (other
 * roles' warehouse adapter, when this api role hosts the store). Returns the
 * function that closes the engine session.
 */
export function mountSqlEndpoint(app: FastifyInstance, config: Config, keys: KeyRegistry): () => void {
  const engine = ChdbSql.open(join(config.dataDir, 'chdb'));
  const admin = config.sqlAdminPassword;
  void app.register(clickhouseRoutes, {
    engine,
    // buildApp's preParsing hook already gunzips request bodies.
    decompress: false,
    authenticate: (user, password): ClickHouseAccess | undefined => {
      if (admin !== undefined && user === 'admin') return samePassword(password, admin) ? { kind: 'admin' } : undefined;
      const principal = keys.lookup(password);
      if (!principal || principal.keyType !== 'agent' || !principal.permissions.includes('events:read')) return undefined;
      return { kind: 'analyst', projectId: principal.projectId };
    },
  });
  return () => engine.close();
}
