/**
 * Picks the adapter behind each port from the configuration: the only place
 * that knows which engines exist. Everything else sees `Log` and `Warehouse`.
 */
import { join } from 'node:path';
import { ControlPlane, openPglite, openPostgres } from '@strix/control';
import { Topics, type Log } from '@strix/contracts';
import { KafkaLog, openDurableLog, type DurableLog } from '@strix/processors';
import { ChdbWarehouse } from '@strix/warehouse/chdb';
import type { RowBinaryWarehouse } from '@strix/warehouse/row-binary-inserts';
import { ClickHouseWarehouse } from '@strix/warehouse/clickhouse';
import type { Config } from './config.ts';

/** The control plane's store, migrated: PGlite under the data directory, or a PostgreSQL server. */
export async function openControl(config: Config): Promise<ControlPlane> {
  const target = config.control;
  const db = target.kind === 'postgres' ? await openPostgres(target.url) : await openPglite(join(config.dataDir, 'control'));
  try {
    return await ControlPlane.open(db);
  } catch (error) {
    await db.close();
    throw error;
  }
}

export async function openWarehouse(config: Config): Promise<RowBinaryWarehouse> {
  const target = config.warehouse;
  switch (target.kind) {
    case 'chdb':
      return new ChdbWarehouse(join(config.dataDir, 'chdb'));
    case 'clickhouse': {
      // The HTTP interface may live under a path (Strix's own endpoint serves it at /clickhouse).
      const url = new URL(target.url);
      const pathname = url.pathname.replace(/\/+$/, '');
      return new ClickHouseWarehouse({
        url: url.origin,
        ...(pathname && { pathname }),
        username: target.username,
        password: target.password,
        database: target.database,
      });
    }
    default:
      return target satisfies never;
  }
}

export interface OpenedLog {
  log: Log;
  /** Records held in the dead-letter topic, when the log can tell cheaply. */
  dlqRecords?: () => number;
  /** A partitioned log's partition of a key in the events topic (absent: one partition). */
  eventsPartitionOf?: (key: string) => number;
}

export async function openLog(config: Config): Promise<OpenedLog> {
  const target = config.log;
  switch (target.kind) {
    case 'embedded': {
      const log: DurableLog = await openDurableLog({
        dir: join(config.dataDir, 'log'),
        retainBytes: config.logRetainBytes,
        maxTopicBytes: { [Topics.dlq]: config.dlqMaxBytes },
        onWarning: (message) => console.warn(`[strix] log: ${message}`),
      });
      return {
        log,
        dlqRecords: () => {
          const s = log.stats(Topics.dlq);
          return s.nextOffset - s.firstOffset;
        },
      };
    }
    case 'kafka': {
      const { brokers, clientId, partitions, replicationFactor, appendTimeoutMs, compression } = target;
      const log = await KafkaLog.open({ brokers, clientId, partitions, replicationFactor, appendTimeoutMs, compression });
      return { log, eventsPartitionOf: (key) => log.partitionOf(Topics.events, key) };
    }
    default:
      return target satisfies never;
  }
}
