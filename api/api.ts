import type { FastifyPluginAsync } from 'fastify';
import type { Warehouse } from '@strix/contracts';
import type { IssueService, ScanSummary } from '@strix/issues';
import { audienceRoutes } from './routes/audience.ts';
import { deadLetterRoutes } from './routes/dead-letters.ts';
import { eventRoutes } from './routes/events.ts';
import { funnelsRoutes } from './routes/funnels.ts';
import { issueRoutes } from './routes/issues.ts';
import { metricQueriesRoutes } from './routes/metric-queries.ts';
import { projectRoutes } from './routes/project.ts';
import { userRoutes } from './routes/users.ts';

export interface ApiDeps {
  warehouse: Warehouse;
  issues: IssueService;
  /** Runs a project's issue scan now and resolves when it finished (in-process, or a Temporal workflow); default `issues.scan`. */
  scanIssues?: (projectId: string) => Promise<ScanSummary>;
}

declare module 'fastify' {
  interface FastifyInstance {
    warehouse: Warehouse;
    issues: IssueService;
    scanIssues: (projectId: string) => Promise<ScanSummary>;
  }
}

/** The read and management API for agent keys: events, issues, funnels, metrics, audience, users, the project. */
export const apiRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  app.decorate('warehouse', deps.warehouse);
  app.decorate('issues', deps.issues);
  app.decorate('scanIssues', deps.scanIssues ?? ((projectId: string) => deps.issues.scan(projectId)));
  await app.register(eventRoutes);
  await app.register(projectRoutes);
  await app.register(deadLetterRoutes);
  await app.register(funnelsRoutes);
  await app.register(audienceRoutes);
  await app.register(metricQueriesRoutes);
  await app.register(userRoutes);
  await app.register(issueRoutes);
};
