// A ClickHouse server for the suites of the server adapter: no ClickHouse server can run on these
// machines, so Strix's own SQL gateway serves the real HTTP protocol on chDB, over a loopback port.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { clickhouseRoutes } from '@strix/sql-gateway';
import { ChdbSql } from '@strix/warehouse/chdb-sql';

export interface ClickHouseStandIn {
  /** The server's origin; the protocol is served under `/clickhouse`. */
  url: string;
  /** User `admin` with this password has full SQL. */
  password: string;
  close(): Promise<void>;
}

/** A fresh chDB store behind the ClickHouse HTTP protocol, with user `admin`. */
export async function startClickHouseStandIn(password = 'admin-password'): Promise<ClickHouseStandIn> {
  const dir = await mkdtemp(join(tmpdir(), 'strix-chserver-'));
  const engine = ChdbSql.open(join(dir, 'chdb'));
  const app = Fastify({ logger: false });
  await app.register(clickhouseRoutes, {
    engine,
    authenticate: (user, pass) => (user === 'admin' && pass === password ? { kind: 'admin' } : undefined),
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    url,
    password,
    async close() {
      await app.close();
      engine.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
