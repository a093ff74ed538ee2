import { startClickHouseStandIn } from '@strix/testkit/clickhouse-server';
import { ClickHouseWarehouse } from './clickhouse-warehouse.ts';
import { describeWarehouseContract } from './warehouse-contract.ts';

// No ClickHouse server can run here: the adapter talks the real HTTP protocol to
// Strix's own ClickHouse-compatible endpoint on chDB, over a loopback port.
describeWarehouseContract('ClickHouseWarehouse (HTTP → Strix endpoint on chDB)', async () => {
  const server = await startClickHouseStandIn('contract-admin');
  return {
    warehouse: new ClickHouseWarehouse({ url: server.url, pathname: '/clickhouse', username: 'admin', password: server.password, requestTimeoutMs: 10_000 }),
    // A port nothing listens on: connection refused.
    unreachable: () => new ClickHouseWarehouse({ url: 'http://127.0.0.1:9', pathname: '/clickhouse', requestTimeoutMs: 2_000 }),
    cleanup: () => server.close(),
  };
});
