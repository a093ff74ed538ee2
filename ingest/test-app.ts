// Test support for the route suites of this package (not exported from index.ts).
import { hashKey, type Log, type Warehouse } from '@strix/contracts';
import { buildApp, type AppDeps } from './app.ts';
import { KeyRegistry, type Principal } from './auth.ts';
import { StrixMetrics } from './metrics.ts';

/** A key of a project; client keys belong to the app `app`. */
export const principal = (key: string, keyType: Principal['keyType'], permissions: readonly string[], projectId = 'p'): Principal => ({
  keyHash: hashKey(key), keyType, projectId, appId: keyType === 'client' ? 'app' : '', permissions, revoked: false, retentionDays: 90, keyPrefix: key.slice(0, 8),
});

/** The read API over `warehouse`, answering the given keys; `deps` adds or overrides dependencies. */
export async function queryApp(warehouse: Warehouse, principals: Principal[], deps: Partial<AppDeps> = {}) {
  const keys = new KeyRegistry(async () => principals);
  await keys.refresh();
  const app = buildApp({
    log: {} as Log,
    warehouse,
    keys,
    metrics: new StrixMetrics(),
    rateLimits: { perKeyPerSecond: 1000, perDevicePerSecond: 1000, burstSeconds: 1 },
    overloaded: () => undefined,
    readiness: () => undefined,
    routes: { ingest: false, query: true },
    ...deps,
  });
  await app.ready();
  return app;
}
