import { mkdir } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { DirectoryBlobStore } from '@strix/blobs';
import { checkMasterKey, type ControlPlane } from '@strix/control';
import type { Log, Warehouse } from '@strix/contracts';
import { KeyRegistry, StrixMetrics, buildHttpApp } from '@strix/http';
import { IssueService } from '@strix/issues';
import { migrate, sqlDir } from '@strix/warehouse';
import { importFromWarehouse, importFunnelsFromWarehouse, importIssueStateFromWarehouse, type Credentials } from './bootstrap.ts';
import type { Config, Role } from './config.ts';
import { openControl, openLog, openWarehouse } from './engines.ts';
import { startAllRoles } from './roles/all.ts';
import { startApiRole } from './roles/api.ts';
import { startIngestRole } from './roles/ingest.ts';
import { startProcessRole } from './roles/process.ts';
import type { RoleContext, RunningRole } from './roles/role.ts';
import { startWorkerRole } from './roles/worker.ts';
import { openJobs } from './scheduling.ts';
import { loadSecretKey } from './secret-key.ts';

export interface Strix {
  app: FastifyInstance;
  /** The log, in roles that use one (all, ingest, process). */
  log: Log | undefined;
  warehouse: Warehouse;
  /** The control plane, in roles that use it (all but process). */
  control: ControlPlane | undefined;
  /** The default project's keys, in roles that bootstrap it (all, api). */
  credentials: Credentials | undefined;
  createdCredentials: boolean;
  /** Resolves once every event accepted so far is in the warehouse (tests, shutdown). */
  drained(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

const usesLog = (role: Role) => role === 'all' || role === 'ingest' || role === 'process';

/** How often each process asks whether keys changed: revocation reaches it within this (plus one reload). */
export const keyPollMs = 1_000;

/** Each role's file (`roles/`) assembles exactly the packages it serves. */
async function startRoles(role: Role, ctx: RoleContext): Promise<RunningRole[]> {
  switch (role) {
    case 'all':
      return startAllRoles(ctx);
    case 'ingest':
      return [await startIngestRole(ctx)];
    case 'process':
      return [await startProcessRole(ctx)];
    case 'api':
      return [await startApiRole(ctx)];
    case 'worker':
      return [await startWorkerRole(ctx)];
    default:
      return role satisfies never;
  }
}

/**
 * Starts the configured role (every role in one process by default). Does not
 * listen; `main.ts` does. Every role serves /healthz, /readyz and /metrics.
 */
export async function startStrix(config: Config): Promise<Strix> {
  await mkdir(config.dataDir, { recursive: true });
  const secretKey = await loadSecretKey(config);
  const warehouse = await openWarehouse(config);
  // Every role migrates: the statements are idempotent, so roles may start in any order.
  await migrate(warehouse, sqlDir);
  const opened = usesLog(config.role) ? await openLog(config) : undefined;
  // The process role authenticates nobody and reads no project: it needs no control plane.
  const control = config.role === 'process' ? undefined : await openControl(config);
  if (control) await checkMasterKey(control.db, secretKey, Date.now());
  if (control && (config.role === 'all' || config.role === 'api')) {
    const imported = await importFromWarehouse(control, warehouse);
    if (imported) console.log(`[strix] control plane: imported ${imported.projects} projects, ${imported.apps} apps, ${imported.keys} keys and ${imported.recipients} digest recipients from the warehouse`);
    const funnels = await importFunnelsFromWarehouse(control, warehouse);
    if (funnels > 0) console.log(`[strix] control plane: copied ${funnels} saved funnels from the warehouse`);
  }
  // Error tracking in the roles that serve or scan issues; the worker scans, so it copies old issue state too (before its first scan).
  const issues = control && config.role !== 'ingest' ? new IssueService({ warehouse, state: control.issueState() }) : undefined;
  if (control && issues) {
    const copied = await importIssueStateFromWarehouse(control, warehouse);
    if (copied && copied.issues + copied.routes + copied.comments > 0) console.log(`[strix] control plane: copied ${copied.issues} issues, ${copied.routes} fingerprint routes and ${copied.comments} comments from the warehouse`);
    await issues.mirror();
  }

  let roles: RunningRole[] = [];
  const lag = () => roles.reduce((sum, r) => sum + (r.lag?.() ?? 0), 0);
  const processes = config.role === 'all' || config.role === 'process';
  const metrics = new StrixMetrics(processes ? { logLag: lag, ...(opened?.dlqRecords && { dlqRecords: opened.dlqRecords }) } : undefined);
  const keys = control ? new KeyRegistry(() => control.principals(), () => control.revision()) : new KeyRegistry(async () => []);
  const app = buildHttpApp({
    keys,
    ...(control && { sessions: control.sessionAuth() }),
    metrics,
    httpTimeouts: config.httpTimeouts,
    trustProxy: config.trustProxy,
    readiness: () => roles.map((r) => r.problem?.()).find((problem) => problem !== undefined),
  });

  // Jobs in the roles that serve them (api) or run them (worker).
  // One attachment store per process, in the roles that take, serve or purge files (api, worker).
  const blobs = control && config.role !== 'ingest' ? await DirectoryBlobStore.open(config.blobDir) : undefined;
  const jobs = control && issues && config.role !== 'ingest' ? openJobs(config, warehouse, control, issues, secretKey, blobs) : undefined;
  roles = await startRoles(config.role, { config, warehouse, app, keys, control, issues, jobs, secretKey, blobs, metrics, log: opened, lag });
  const bootstrap = roles.find((r) => r.bootstrap)?.bootstrap;

  await keys.refresh();
  const keyRefresh = setInterval(() => {
    keys.poll().catch((error: unknown) => console.error('[strix] key refresh failed:', error));
  }, keyPollMs);
  keyRefresh.unref();
  await app.ready();

  return {
    app,
    log: opened?.log,
    warehouse,
    control,
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
      // The edge stops taking events before the pipeline drains them.
      for (const role of roles) await role.stop?.();
      await jobs?.stop();
      await opened?.log.close();
      await warehouse.close();
      await control?.close();
    },
  };
}
