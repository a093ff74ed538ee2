// The HTTP apps the route suites drive with `app.inject()`: `@strix/http` with the route packages under test.
import type { FastifyInstance } from 'fastify';
import { createAnalytics } from '@strix/analytics';
import { apiRoutes, type ApiDeps } from '@strix/api';
import { hashKey, type Warehouse } from '@strix/contracts';
import { edgeRoutes, type EdgeDeps } from '@strix/edge';
import { KeyRegistry, StrixMetrics, buildHttpApp, type HttpAppDeps, type Principal } from '@strix/http';
import { IssueService } from '@strix/issues';
import { DeadLetters } from '@strix/processors/dead-letters';
import type { ControlPlane } from '@strix/control';
import { seedProjects, sharedTestControl } from './control.ts';

/** A key of a project; client keys belong to the app `app`. */
export const principal = (key: string, keyType: Principal['keyType'], permissions: readonly string[], projectId = 'p'): Principal => ({
  keyHash: hashKey(key), keyType, projectId, appId: keyType === 'client' ? 'app' : '', permissions, revoked: false, retentionDays: 90, keyPrefix: key.slice(0, 8),
});

export interface TestAppOptions {
  /** The keys the app answers; a function is re-read at every `keys.refresh()`. */
  principals: Principal[] | (() => Principal[]);
  /** Serve the read API over this warehouse; each service defaults to one over it, `deps` replaces any. */
  api?: { warehouse: Warehouse } & Partial<ApiDeps>;
  /** Serve the edge's batch endpoints with these dependencies. */
  edge?: EdgeDeps;
  readiness?: HttpAppDeps['readiness'];
  httpTimeouts?: HttpAppDeps['httpTimeouts'];
  /** Session cookies answered from this control plane (people signed in). */
  sessions?: ControlPlane;
  /** Called before the app is ready (an `onRoute` hook sees every route). */
  configure?: (app: FastifyInstance) => void;
}

/**
 * The read API's services over one warehouse, as server/roles/api.ts builds them, with any given ones instead.
 * Over the shared control plane, the projects of the keys the app answers are made when missing, as every
 * key's project exists in a running Strix (saved funnels belong to one).
 */
async function apiDeps({ warehouse, ...given }: { warehouse: Warehouse } & Partial<ApiDeps>, projectIds: readonly string[]): Promise<ApiDeps> {
  const control = given.control ?? (await sharedTestControl());
  if (!given.control) await ensureProjects(control, projectIds);
  return {
    analytics: createAnalytics({ warehouse, savedFunnels: control.funnels() }),
    issues: new IssueService({ warehouse, state: control.issueState() }),
    control,
    deadLetters: new DeadLetters({ warehouse }),
    ...given,
  };
}

// Apps of one test process may start together: they make the shared control plane's projects one at a time.
let seeding: Promise<unknown> = Promise.resolve();

function ensureProjects(control: ControlPlane, projectIds: readonly string[]): Promise<unknown> {
  seeding = seeding.catch(() => undefined).then(async () => {
    const ids = [...new Set(projectIds)];
    const known = new Set((await control.db.query<{ id: string }>('SELECT id FROM projects WHERE id = ANY($1)', [ids])).map((r) => r.id));
    const missing = ids.filter((id) => !known.has(id));
    if (missing.length > 0) await seedProjects(control, ...missing.map((id) => ({ id, name: `Project ${id}` })));
  });
  return seeding;
}

/** An HTTP app as a role assembles it, not yet listening; `keys` reloads the principals. */
export async function testApp(options: TestAppOptions): Promise<{ app: FastifyInstance; keys: KeyRegistry }> {
  const { principals } = options;
  const keys = new KeyRegistry(async () => (typeof principals === 'function' ? principals() : principals));
  const app = buildHttpApp({
    keys,
    metrics: new StrixMetrics(),
    readiness: options.readiness ?? (() => undefined),
    ...(options.httpTimeouts && { httpTimeouts: options.httpTimeouts }),
    ...(options.sessions && { sessions: options.sessions.sessionAuth() }),
  });
  options.configure?.(app);
  if (options.edge) await app.register(edgeRoutes, options.edge);
  if (options.api) {
    const projectIds = (typeof principals === 'function' ? principals() : principals).map((p) => p.projectId);
    await app.register(apiRoutes, await apiDeps(options.api, projectIds));
  }
  await app.ready();
  await keys.refresh();
  return { app, keys };
}

/** The read API over `warehouse`, answering the given keys; `deps` adds or overrides its dependencies. */
export async function queryApp(warehouse: Warehouse, principals: Principal[], deps: Partial<ApiDeps> = {}): Promise<FastifyInstance> {
  return (await testApp({ principals, api: { warehouse, ...deps } })).app;
}
