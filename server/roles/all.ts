import { startApiRole } from './api.ts';
import { startIngestRole } from './ingest.ts';
import { startProcessRole } from './process.ts';
import type { RoleContext, RunningRole } from './role.ts';
import { startWorkerRole } from './worker.ts';

/**
 * The embedded deployment: every role in one process, on one HTTP app, one log
 * and one store. The api role bootstraps the default project first; the edge
 * pushes back on the pipeline's lag.
 */
export async function startAllRoles(ctx: RoleContext): Promise<RunningRole[]> {
  const api = await startApiRole(ctx);
  const processing = await startProcessRole(ctx);
  const ingest = await startIngestRole(ctx);
  const worker = await startWorkerRole(ctx);
  return [ingest, processing, api, worker];
}
