import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Topics } from '@strix/contracts';
import { KeyRegistry, StrixMetrics, buildApp } from '@strix/ingest';
import { EventDeduper, EventPipeline, openDurableLog, type DurableLog } from '@strix/processors';
import { migrate } from '@strix/warehouse';
import { ChdbWarehouse } from '@strix/warehouse/chdb';
import { ensureDefaultProject, loadPrincipals, type Credentials } from './bootstrap.ts';
import type { Config } from './config.ts';

export const sqlDir = join(import.meta.dirname, '..', 'sql');

export interface Strix {
  app: FastifyInstance;
  log: DurableLog;
  credentials: Credentials;
  createdCredentials: boolean;
  /** Resolves once every event accepted so far is in the warehouse (tests, shutdown). */
  drained(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Every role in one process: the embedded deployment. Does not listen; `main.ts` does. */
export async function startStrix(config: Config): Promise<Strix> {
  await mkdir(config.dataDir, { recursive: true });
  const warehouse = new ChdbWarehouse(join(config.dataDir, 'chdb'));
  await migrate(warehouse, sqlDir);
  const { credentials, created } = await ensureDefaultProject(warehouse, config.dataDir, config.defaultRetentionDays);

  const log = await openDurableLog({
    dir: join(config.dataDir, 'log'),
    retainBytes: config.logRetainBytes,
    maxTopicBytes: { [Topics.dlq]: config.dlqMaxBytes },
    onWarning: (message) => console.warn(`[strix] log: ${message}`),
  });
  const deduper = new EventDeduper({ windowMs: config.dedupeWindowMs, maxKeys: config.dedupeMaxKeys });

  // The gauges read the pipeline lazily: it needs the metrics to exist first.
  const metrics: StrixMetrics = new StrixMetrics({
    logLag: () => pipeline.lag(),
    dlqRecords: () => {
      const s = log.stats(Topics.dlq);
      return s.nextOffset - s.firstOffset;
    },
  });
  const pipeline: EventPipeline = new EventPipeline({ log, warehouse, deduper, observer: metrics });
  await pipeline.start();

  const keys = new KeyRegistry(() => loadPrincipals(warehouse));
  await keys.refresh();
  const keyRefresh = setInterval(() => {
    keys.refresh().catch((error: unknown) => console.error('[strix] key refresh failed:', error));
  }, 10_000);
  keyRefresh.unref();

  const app = buildApp({
    log,
    warehouse,
    keys,
    metrics,
    rateLimits: config.rateLimits,
    overloaded: () => {
      if (log.pendingBytes() > config.maxPendingLogBytes) return 'log write buffer full';
      if (pipeline.lag() > config.maxLogLagRecords) return 'processors behind';
      return undefined;
    },
    readiness: () => (pipeline.isHealthy() ? undefined : 'warehouse inserts are failing'),
  });
  await app.ready();

  return {
    app,
    log,
    credentials,
    createdCredentials: created,
    async drained(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (pipeline.lag() > 0) {
        if (Date.now() > deadline) throw new Error(`pipeline still ${pipeline.lag()} records behind after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async stop() {
      clearInterval(keyRefresh);
      await app.close();
      await pipeline.stop();
      await log.close();
      await warehouse.close();
    },
  };
}
