import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { clickhouseRoutes } from '@strix/ingest';
import { ChdbSql } from './chdb-sql.ts';
import { ClickHouseWarehouse } from './clickhouse-warehouse.ts';
import { describeWarehouseContract } from './warehouse-contract.ts';

// No ClickHouse server can run here: the adapter talks the real HTTP protocol to
// Strix's own ClickHouse-compatible endpoint on chDB, over a loopback port.
describeWarehouseContract('ClickHouseWarehouse (HTTP → Strix endpoint on chDB)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'strix-chwh-'));
  const engine = ChdbSql.open(join(dir, 'chdb'));
  const password = 'contract-admin';
  const app = Fastify({ logger: false });
  await app.register(clickhouseRoutes, {
    engine,
    authenticate: (user, pass) => (user === 'admin' && pass === password ? { kind: 'admin' } : undefined),
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    warehouse: new ClickHouseWarehouse({ url, pathname: '/clickhouse', username: 'admin', password, requestTimeoutMs: 10_000 }),
    // A port nothing listens on: connection refused.
    unreachable: () => new ClickHouseWarehouse({ url: 'http://127.0.0.1:9', pathname: '/clickhouse', requestTimeoutMs: 2_000 }),
    async cleanup() {
      await app.close();
      engine.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
