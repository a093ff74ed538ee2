/**
 * The app the endpoint fuzzer drives: every route of the edge and the read API
 * (the test kit's `testApp` with the edge and the API) over a real chDB warehouse,
 * through `app.inject()`. Its routes are collected as the app registers them,
 * so a new route is fuzzed without editing the suite.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { DirectoryBlobStore } from '@strix/blobs';
import { hashKey, type KeyType, type Log, type LogRecord, type Topic } from '@strix/contracts';
import { clientPath, type Principal } from '@strix/http';
import { IssueService } from '@strix/issues';
import { testApp } from '@strix/testkit/apps';
import { eventRow } from '@strix/testkit/rows';
import { openStore } from '@strix/testkit/stores';
import { seedProjects, sharedTestControl } from '@strix/testkit/control';
import { InputClassWarehouse } from './input-class-warehouse.ts';

export interface FuzzRoute {
  method: string;
  /** As declared: `/v1/funnels/:id`, `/v1/metrics/*`. */
  url: string;
  /** The key it needs, if any. */
  keyType: KeyType | undefined;
  /** Only signed-in people may use it: every key is refused before its input is read. */
  peopleOnly: boolean;
}

/** The edge appends to the durable log; here records are counted and dropped (the pipeline has its own property). */
class CountingLog implements Log {
  records = 0;
  async append(_topic: Topic, records: readonly LogRecord[]) {
    this.records += records.length;
  }
  consumer(): never {
    throw new Error('the fuzzed app runs no pipeline');
  }
  pendingBytes() {
    return 0;
  }
  async close() {}
}

export const fuzzKeys = { agent: 'fuzz-agent-key', client: 'fuzz-client-key', import: 'fuzz-import-key' } as const;
const projectId = 'fuzz';

/**
 * `/clickhouse` is fuzzed by its own suite (the SQL gateway has its own grammar of inputs). The API
 * reference (`/openapi.json`, `/docs`) takes no input and has its own suite (api/openapi.test.ts);
 * fuzzing it through `inject()` only piles up its 110 KB answer: light-my-request keeps about twice
 * each answer's size alive (measured: +67 MiB per 300 injected answers of 225 KB, none over real
 * HTTP), so 10,000 cases ran the suite out of heap.
 */
const excluded = (url: string) =>
  url === '/clickhouse' || url.startsWith('/clickhouse/') || url === '/openapi.json' || url === '/docs' || url.startsWith('/docs/');

export async function startFuzzApp() {
  const store = await openStore(projectId);
  const control = await sharedTestControl();
  await seedProjects(control, { id: projectId, name: 'Fuzzed', apps: [{ id: 'app', name: 'App' }] });
  const warehouse = new InputClassWarehouse(store.wh);
  const permissions = new Set<string>();
  const principals = (): Principal[] => [
    { keyHash: hashKey(fuzzKeys.agent), keyType: 'agent', projectId, appId: '', permissions: [...permissions], revoked: false, retentionDays: 90 },
    { keyHash: hashKey(fuzzKeys.client), keyType: 'client', projectId, appId: 'app', permissions: ['events:write'], revoked: false, retentionDays: 90 },
  ];
  const log = new CountingLog();
  const routes: FuzzRoute[] = [];
  const { app, keys } = await testApp({
    principals,
    edge: {
      log,
      warehouse,
      // The fuzzer is one device sending thousands of requests a second.
      rateLimits: { perKeyPerSecond: 1e9, perDevicePerSecond: 1e9, burstSeconds: 1 },
      overloaded: () => undefined,
    },
    api: {
      warehouse,
      issues: new IssueService({ warehouse, state: control.issueState() }),
      control,
      secretKey: randomBytes(32),
      attachments: { blobs: await DirectoryBlobStore.open(join(store.dir, 'attachments')), signingSecret: randomBytes(32) },
      // Runs are stored and handed over, never run: the fuzzer judges answers to input, not jobs (a second trigger is a 409).
      jobs: { runs: control.jobRuns(), intervalsMs: {}, dispatch: async () => {} },
    },
    readiness: () => (warehouse.counts.failed > 0 ? `${warehouse.counts.failed} warehouse calls failed` : undefined),
    // Plugins load at ready(), after this hook: it sees every route of the app.
    configure: (app) =>
      app.addHook('onRoute', (route) => {
        if (route.config?.permission) permissions.add(route.config.permission);
        for (const method of [route.method].flat()) {
          if (method === 'HEAD' || excluded(route.url)) continue;
          routes.push({ method, url: clientPath(route.url), keyType: route.config?.keyType, peopleOnly: route.config?.auth === 'user' });
        }
      }),
  });
  // The agent key holds every permission a route asks for, so no route answers only 403.
  await keys.refresh();
  const existing = await seed(app, warehouse);
  return {
    app,
    routes,
    existing,
    warehouse,
    log,
    async close() {
      await app.close();
      await store.close();
    },
  };
}

export type FuzzApp = Awaited<ReturnType<typeof startFuzzApp>>;

/** Things for path parameters to name: an issue with a comment, a saved funnel, a member, a metric. */
async function seed(app: FastifyInstance, warehouse: InputClassWarehouse): Promise<Record<string, string[]>> {
  const now = Date.now();
  await warehouse.insert('events', [
    eventRow({ project_id: projectId, kind: 'log', name: 'error', level: 'error', message: 'Boom', fingerprint: 'boom', session_id: 's1', user_id: 'u1', ts: now - 60_000 }),
    eventRow({ project_id: projectId, kind: 'track', name: 'signup', session_id: 's1', user_id: 'u1', ts: now - 50_000 }),
  ]);
  const auth = { authorization: `Bearer ${fuzzKeys.agent}` };
  const call = async (method: 'POST' | 'GET', url: string, payload?: object) => {
    const res = await app.inject({ method, url, headers: auth, ...(payload && { payload }) });
    if (res.statusCode >= 300) throw new Error(`seeding ${method} ${url}: ${res.statusCode} ${res.body}`);
    return res.json<Record<string, unknown>>();
  };
  await call('POST', '/v1/issues/scan');
  const issues = (await call('GET', '/v1/issues')).issues as { id: string }[];
  const issueId = issues[0]?.id ?? 'none';
  const comment = await call('POST', `/v1/issues/${issueId}/comments`, { body: 'seen' });
  const funnel = await call('POST', '/v1/funnels', { name: 'f', steps: [{ event: 'signup' }, { event: 'purchase' }], mode: 'closed', window_seconds: 3600 });
  await call('POST', '/v1/project/members', { email: 'ada@example.com', name: 'Ada' });
  return {
    id: [issueId, (funnel.funnel as { id: string }).id, 'u1'],
    commentId: [(comment.comment as { id: string } | undefined)?.id ?? 'none'],
    email: ['ada@example.com'],
    '*': ['checkout', 'load'],
  };
}
