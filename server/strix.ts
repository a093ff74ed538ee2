import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Topics, type Log, type Warehouse } from '@strix/contracts';
import { HotKeyRouter, KeyRegistry, StrixMetrics, buildApp } from '@strix/ingest';
import { IssueService } from '@strix/issues';
import { EventDeduper, EventPipeline, defaultPipelineOptions } from '@strix/processors';
import { migrate } from '@strix/warehouse';
import { ensureDefaultProject, loadPrincipals, type Credentials } from './bootstrap.ts';
import type { Config, Role } from './config.ts';
import { openLog, openWarehouse } from './engines.ts';
import { issueScanTrigger } from './issue-scans.ts';
import { startJobs } from './scheduling.ts';
import { mountSqlEndpoint } from './sql-endpoint.ts';

export const sqlDir = join(import.meta.dirname, '..', 'sql');

export interface Strix {
  app: FastifyInstance;
  /** The log, in roles that use one (all, ingest, process). */
  log: Log | undefined;
  warehouse: Warehouse;
  /** The default project's keys, in roles that bootstrap it (all, api). */
  credentials: Credentials | undefined;
  createdCredentials: boolean;
  /** Resolves once every event accepted so far is in the warehouse (tests, shutdown). */
  drained(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** What each role runs; `all` is the embedded deployment. */
function parts(role: Role) {
  const all = role === 'all';
  return {
    ingest: all || role === 'ingest',
    process: all || role === 'process',
    query: all || role === 'api',
    bootstrap: all || role === 'api',
    jobs: all || role === 'worker',
  };
}

/**
 * Starts the configured role (every role in one process by default). Does not
 * listen; `main.ts` does. Every role serves /healthz, /readyz and /metrics.
 */
export async function startStrix(config: Config): Promise<Strix> {
  const runs = parts(config.role);
  await mkdir(config.dataDir, { recursive: true });
  const warehouse = await openWarehouse(config);
  // Every role migrates: the statements are idempotent, so roles may start in any order.
  await migrate(warehouse, sqlDir);
  const bootstrap = runs.bootstrap
    ? await ensureDefaultProject(warehouse, config.dataDir, config.defaultRetentionDays)
    : undefined;

  const opened = runs.ingest || runs.process ? await openLog(config) : undefined;
  const pipelines: EventPipeline[] = [];
  const lag = () => pipelines.reduce((sum, p) => sum + p.lag(), 0);
  const metrics = new StrixMetrics(runs.process ? { logLag: lag, ...(opened?.dlqRecords && { dlqRecords: opened.dlqRecords }) } : undefined);

  if (runs.process && opened) {
    const deduper = new EventDeduper({ windowMs: config.dedupeWindowMs, maxKeys: config.dedupeMaxKeys });
    const deps = { log: opened.log, warehouse, deduper, observer: metrics };
    pipelines.push(new EventPipeline(deps, defaultPipelineOptions));
    // Hot keys are only redirected on a partitioned log; the embedded one has no overflow.
    if (config.log.kind === 'kafka') {
      pipelines.push(new EventPipeline(deps, { ...defaultPipelineOptions, topic: Topics.overflow, group: 'overflow-processor' }));
    }
    for (const pipeline of pipelines) await pipeline.start();
  }

  // One per process: scans, status changes and merges of a project take turns through it.
  const issues = new IssueService({ warehouse });
  const jobs = runs.jobs ? await startJobs(config, warehouse, issues) : undefined;
  const scans = runs.query ? issueScanTrigger(config, issues) : undefined;

  const keys = new KeyRegistry(() => loadPrincipals(warehouse));
  await keys.refresh();
  const keyRefresh = setInterval(() => {
    keys.refresh().catch((error: unknown) => console.error('[strix] key refresh failed:', error));
  }, 10_000);
  keyRefresh.unref();

  const ingestLog =
    opened && config.log.kind === 'kafka'
      ? new HotKeyRouter(opened.log, { recordsPerSecond: config.hotKeyRecordsPerSecond, onRedirect: (n) => metrics.overflowed(n) })
      : opened?.log;
  const app = buildApp({
    log: ingestLog ?? refusingLog,
    warehouse,
    keys,
    metrics,
    rateLimits: config.rateLimits,
    httpTimeouts: config.httpTimeouts,
    routes: { ingest: runs.ingest, query: runs.query },
    partitionByUser: config.log.kind === 'kafka',
    ...(scans && { issues, scanIssues: (projectId: string) => scans.scan(projectId) }),
    overloaded: () => {
      if (ingestLog && ingestLog.pendingBytes() > config.maxPendingLogBytes) return 'log write buffer full';
      if (runs.process && lag() > config.maxLogLagRecords) return 'processors behind';
      return undefined;
    },
    readiness: () => (pipelines.every((p) => p.isHealthy()) ? jobs?.problem() : 'warehouse inserts are failing'),
  });
  // The SQL endpoint serves the store this process hosts; with a ClickHouse server, analysts use its own users.
  const closeSql = runs.query && config.warehouse.kind === 'chdb' ? await mountSqlEndpoint(app, config, keys) : undefined;
  await app.ready();

  return {
    app,
    log: opened?.log,
    warehouse,
    credentials: bootstrap?.credentials,
    createdCredentials: bootstrap?.created ?? false,
    async drained(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (lag() > 0) {
        if (Date.now() > deadline) throw new Error(`pipeline still ${lag()} records behind after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async stop() {
      clearInterval(keyRefresh);
      await app.close();
      for (const pipeline of pipelines) await pipeline.stop();
      await jobs?.stop();
      await scans?.close();
      closeSql?.();
      await opened?.log.close();
      await warehouse.close();
    },
  };
}

/** The log of a role without one: its app serves no ingest route, so this is never reached. */
const refusingLog: Log = {
  append: () => Promise.reject(new Error('this role has no log')),
  consumer: () => Promise.reject(new Error('this role has no log')),
  pendingBytes: () => 0,
  close: () => Promise.resolve(),
};
