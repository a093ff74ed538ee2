import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startPostgres, type PostgresEngine } from './engines/postgres.ts';
import { kill, spawnStrix, type StrixProcess } from './process.ts';

export interface WarehouseHost {
  /** The api role process, hosting chDB and serving it at /clickhouse. */
  api: StrixProcess;
  adminPassword: string;
  /** The default project's keys, bootstrapped by the api role. */
  credentials: { projectId: string; clientKey: string; agentKey: string };
  /** What another role needs to use this store as its ClickHouse (STRIX_WAREHOUSE=clickhouse ...). */
  warehouseEnv: Record<string, string>;
  /** The control plane's PostgreSQL server and the deployment's master key, which every role but process needs (STRIX_POSTGRES_URL, STRIX_SECRET_KEY). */
  postgres: PostgresEngine;
  controlEnv: Record<string, string>;
  /** Stops the api role and the PostgreSQL server. */
  stop(): Promise<void>;
}

/**
 * Starts an api role on `dataDir` that hosts chDB and serves it to the other
 * roles over the ClickHouse protocol (user admin): the topology the
 * distributed suites and benchmark run, with no ClickHouse server. `env` adds
 * to the api role's environment (its scheduler, integrations' URLs...).
 */
export async function startWarehouseHost(dataDir: string, env: Record<string, string> = {}): Promise<WarehouseHost> {
  const adminPassword = randomBytes(16).toString('hex');
  const postgres = await startPostgres();
  const controlEnv = { STRIX_POSTGRES_URL: postgres.url, STRIX_SECRET_KEY: randomBytes(32).toString('hex') };
  const api = await spawnStrix({ STRIX_ROLE: 'api', STRIX_DATA_DIR: dataDir, STRIX_SQL_ADMIN_PASSWORD: adminPassword, ...controlEnv, ...env });
  const credentials = JSON.parse(await readFile(join(dataDir, 'credentials.json'), 'utf8')) as WarehouseHost['credentials'];
  return {
    api,
    adminPassword,
    postgres,
    controlEnv,
    async stop() {
      await kill(api, 'SIGKILL');
      await postgres.stop();
    },
    credentials,
    warehouseEnv: {
      STRIX_WAREHOUSE: 'clickhouse',
      STRIX_CLICKHOUSE_URL: `${api.url}/clickhouse`,
      STRIX_CLICKHOUSE_USER: 'admin',
      STRIX_CLICKHOUSE_PASSWORD: adminPassword,
    },
  };
}
