import type { Analytics } from '@strix/analytics';
import type { IssueService, ScanSummary } from '@strix/issues';
import type { DeadLetters } from '@strix/processors/dead-letters';
import { ProjectService, type ControlPlane } from '@strix/control';
import type { ZodRoutes } from '@strix/http';
import { audienceRoutes } from './routes/audience.ts';
import { deadLetterRoutes } from './routes/dead-letters.ts';
import { eventRoutes } from './routes/events.ts';
import { funnelsRoutes } from './routes/funnels.ts';
import { issueRoutes } from './routes/issues.ts';
import { metricQueriesRoutes } from './routes/metric-queries.ts';
import { projectRoutes } from './routes/project.ts';
import { userRoutes } from './routes/users.ts';

/** The domain services the routes call; none of them is the warehouse. */
export interface ApiDeps {
  /** Events explorer, audience, metrics, user properties, funnels. */
  analytics: Analytics;
  issues: IssueService;
  /** Teams, projects, apps, keys: the control plane's store. */
  control: ControlPlane;
  /** What the processors could not store. */
  deadLetters: DeadLetters;
  /** Runs a project's issue scan now and resolves when it finished (in-process, or a Temporal workflow); default `issues.scan`. */
  scanIssues?: (projectId: string) => Promise<ScanSummary>;
}

declare module 'fastify' {
  interface FastifyInstance {
    analytics: Analytics;
    issues: IssueService;
    control: ControlPlane;
    /** The caller's project's settings and digest recipients. */
    projects: ProjectService;
    deadLetters: DeadLetters;
    scanIssues: (projectId: string) => Promise<ScanSummary>;
  }
}

/** The read and management API for agent keys: events, issues, funnels, metrics, audience, users, the project. */
export const apiRoutes: ZodRoutes<ApiDeps> = async (app, deps) => {
  app.decorate('analytics', deps.analytics);
  app.decorate('issues', deps.issues);
  app.decorate('control', deps.control);
  app.decorate('projects', new ProjectService(deps.control));
  app.decorate('deadLetters', deps.deadLetters);
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
