import type { Analytics } from '@strix/analytics';
import type { IssueService, ScanSummary } from '@strix/issues';
import type { DeadLetters } from '@strix/processors/dead-letters';
import { ProjectService, type ControlPlane } from '@strix/control';
import type { ZodRoutes } from '@strix/http';
import type { JobControl } from '@strix/contracts';
import type { PeopleMail } from './people-mail.ts';
import { appsRoutes } from './routes/apps.ts';
import { attachmentRoutes, type AttachmentRoutesDeps } from './routes/attachments.ts';
import { auditLogRoutes } from './routes/audit-log.ts';
import { audienceRoutes } from './routes/audience.ts';
import { authRoutes } from './routes/auth.ts';
import { deadLetterRoutes } from './routes/dead-letters.ts';
import { eventRoutes } from './routes/events.ts';
import { funnelsRoutes } from './routes/funnels.ts';
import { integrationRoutes } from './routes/integrations.ts';
import { invitationRoutes } from './routes/invitations.ts';
import { issueRoutes } from './routes/issues.ts';
import { jobRoutes } from './routes/jobs.ts';
import { peopleDataRoutes } from './routes/people-data.ts';
import { meRoutes } from './routes/me.ts';
import { keysRoutes } from './routes/keys.ts';
import { metricQueriesRoutes } from './routes/metric-queries.ts';
import { projectRoutes } from './routes/project.ts';
import { teamRoutes } from './routes/team.ts';
import { projectsRoutes } from './routes/projects.ts';
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
  /** Sends sign-in codes and invitations; without it sign-in by code answers 503 and invitations are links to hand over. */
  mail?: PeopleMail;
  /** The address people reach Strix at, for the links in mails and answers (default http://localhost:8080). */
  publicUrl?: string;
  /** Background jobs: their runs and the scheduler triggered runs go to; without it runs are listed but none can be started (503). */
  jobs?: JobControl;
  /** The server's master key integrations' secrets are sealed with; without it the integration routes answer 503. */
  secretKey?: Buffer;
  /** Attachments' files and the key their download links are signed with; without it the attachment routes are not served. */
  attachments?: AttachmentRoutesDeps;
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
    jobs: JobControl;
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
  app.decorate(
    'jobs',
    deps.jobs ?? {
      runs: deps.control.jobRuns(),
      dispatch: () => Promise.reject(new Error('no scheduler runs in this process')),
      intervalsMs: {},
    },
  );
  await app.register(eventRoutes);
  await app.register(projectRoutes);
  await app.register(deadLetterRoutes);
  await app.register(funnelsRoutes);
  await app.register(audienceRoutes);
  await app.register(metricQueriesRoutes);
  await app.register(userRoutes);
  await app.register(issueRoutes);
  await app.register(projectsRoutes);
  await app.register(appsRoutes);
  await app.register(keysRoutes);
  await app.register(auditLogRoutes);
  await app.register(jobRoutes);
  await app.register(peopleDataRoutes);
  if (deps.attachments) await app.register(attachmentRoutes, deps.attachments);
  const people = { mail: deps.mail, publicUrl: (deps.publicUrl ?? deps.mail?.publicUrl ?? 'http://localhost:8080').replace(/\/+$/, '') };
  await app.register(authRoutes, people);
  await app.register(meRoutes);
  await app.register(teamRoutes);
  await app.register(invitationRoutes, people);
  await app.register(integrationRoutes, { secretKey: deps.secretKey, publicUrl: people.publicUrl });
};
