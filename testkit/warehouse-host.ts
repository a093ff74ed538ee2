import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { spawnStrix, type StrixProcess } from './process.ts';

export interface WarehouseHost {
  /** The api role process, hosting chDB and serving it at /clickhouse. */
  api: StrixProcess;
  adminPassword: string;
  /** The default project's keys, bootstrapped by the api role. */
  credentials: { projectId: string; clientKey: string; agentKey: string };
  /** What another role needs to use this store as its ClickHouse (STRIX_WAREHOUSE=clickhouse ...). */
  warehouseEnv: Record<string, string>;
}

/**
 * Starts an api role on `dataDir` that hosts chDB and serves it to the other
 * roles over the ClickHouse protocol (user admin): the topology the
 * distributed suites and benchmark run, with no ClickHouse server.
 */
export async function startWarehouseHost(dataDir: string): Promise<WarehouseHost> {
  const adminPassword = randomBytes(16).toString('hex');
  const api = await spawnStrix({ STRIX_ROLE: 'api', STRIX_DATA_DIR: dataDir, STRIX_SQL_ADMIN_PASSWORD: adminPassword });
  const credentials = JSON.parse(await readFile(join(dataDir, 'credentials.json'), 'utf8')) as WarehouseHost['credentials'];
  return {
    api,
    adminPassword,
    credentials,
    warehouseEnv: {
      STRIX_WAREHOUSE: 'clickhouse',
      STRIX_CLICKHOUSE_URL: `${api.url}/clickhouse`,
      STRIX_CLICKHOUSE_USER: 'admin',
      STRIX_CLICKHOUSE_PASSWORD: adminPassword,
    },
  };
}
