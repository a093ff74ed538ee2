import { z } from 'zod';
import { IssueAlertFrequency } from '@strix/contracts';
import { createProject, deleteProject, getProject, listTeamProjects, projectDeletionGraceMs, restoreProject, updateProject, type ProjectRow } from '@strix/control';
import { ApiError, errorResponses, parseBody, parseParams, type ZodRoutes } from '@strix/http';
import { actorOf } from '../actor.ts';
import { requireProjectRole, requireTeamRole } from '../team-access.ts';
import { ProjectColor, ProjectJson, projectView } from './project.ts';

const required = (type: string) => (issue: { input: unknown }) => (issue.input === undefined ? 'is required' : `must be a ${type}`);

/** A name people give (a project, an app, a key): trimmed, 1 to 200 characters. */
export const DisplayName = z
  .string({ error: required('string') })
  .trim()
  .min(1, { error: 'must not be empty' })
  .max(200, { error: 'must be at most 200 characters' });

// Ids are UUIDs for new rows, or what an install had before (`p1`); the router caps them at 100 characters.
const Id = z.string().min(1, { error: 'must not be empty' });
export const TeamParams = z.object({ teamId: Id });
export const ProjectParams = z.object({ projectId: Id });

const Slug = z
  .string({ error: required('string') })
  .max(48, { error: 'must be at most 48 characters' })
  .regex(/^[a-z0-9](-?[a-z0-9])*$/, { error: 'must be lower-case letters and digits with single dashes between them, like web-shop' });

const RetentionDays = z
  .number({ error: required('number') })
  .int({ error: 'must be a whole number of days' })
  .min(1, { error: 'must be at least 1 day' })
  .max(3650, { error: 'must be at most 3650 days' });

const AlertFrequency = z.enum(IssueAlertFrequency.options, { error: `must be one of ${IssueAlertFrequency.options.join(', ')}` });

const QuotaBytes = z
  .number({ error: required('number') })
  .int({ error: 'must be a whole number of bytes' })
  .min(0, { error: 'must be at least 0' })
  .max(Number.MAX_SAFE_INTEGER, { error: `must be at most ${Number.MAX_SAFE_INTEGER}` });

const settings = {
  slug: Slug.optional(),
  color: ProjectColor.optional(),
  retention_events_days: RetentionDays.optional(),
  retention_metrics_days: RetentionDays.optional(),
  retention_funnels_days: RetentionDays.optional(),
  issue_alert_frequency: AlertFrequency.optional(),
};

const NewProjectBody = z.strictObject({ name: DisplayName, ...settings });

const patchFields = { name: DisplayName.optional(), ...settings, attachment_quota_bytes: QuotaBytes.optional(), attachment_user_quota_bytes: QuotaBytes.optional() };
const ProjectPatchBody = z
  .strictObject(patchFields)
  .refine((patch) => Object.values(patch).some((v) => v !== undefined), { error: `set at least one of ${Object.keys(patchFields).join(', ')}` });

const DeletedProjectJson = ProjectJson.extend({
  deleted_at: z.string(),
  purge_at: z.string().meta({ description: 'When the project and its apps and keys are removed for good; POST …/restore before then' }),
});

const deletedView = (p: ProjectRow): z.input<typeof DeletedProjectJson> => ({
  ...projectView(p),
  deleted_at: new Date(p.deleted_ms!).toISOString(),
  purge_at: new Date(p.deleted_ms! + projectDeletionGraceMs).toISOString(),
});

const notFound = (projectId: string) => new ApiError('not_found', `project ${projectId} does not exist`);

/**
 * A team's projects, managed by its signed-in people: members read, admins
 * and owners create, change, delete and restore. A project of another team
 * answers as one that does not exist.
 */
export const projectsRoutes: ZodRoutes = async (app) => {
  const config = { auth: 'user' } as const;
  const tags = ['projects'];
  const db = app.control.db;

  app.get(
    '/v1/teams/:teamId/projects',
    { config, schema: { summary: 'The team’s projects (members and up)', tags, params: TeamParams, response: { 200: z.object({ projects: z.array(ProjectJson) }), ...errorResponses } } },
    async (request) => {
      const { teamId } = parseParams(TeamParams, request.params);
      requireTeamRole(request, teamId, 'member');
      return { projects: (await listTeamProjects(db, teamId)).map(projectView) };
    },
  );

  app.post(
    '/v1/teams/:teamId/projects',
    {
      config,
      schema: {
        summary: 'Create a project (admins and owners); its slug is made from the name and its colour picked when not given',
        tags,
        params: TeamParams,
        body: NewProjectBody,
        response: { 201: ProjectJson, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { teamId } = parseParams(TeamParams, request.params);
      requireTeamRole(request, teamId, 'admin');
      const body = parseBody(NewProjectBody, request.body);
      const project = await db.transaction((tx) => createProject(tx, teamId, body, actorOf(request)));
      return reply.code(201).send(projectView(project));
    },
  );

  app.get(
    '/v1/projects/:projectId',
    { config, schema: { summary: 'A project’s settings (members and up)', tags, params: ProjectParams, response: { 200: ProjectJson, ...errorResponses } } },
    async (request) => {
      const { projectId } = parseParams(ProjectParams, request.params);
      return projectView((await requireProjectRole(request, projectId, 'member')).project);
    },
  );

  app.patch(
    '/v1/projects/:projectId',
    {
      config,
      schema: {
        summary: 'Change a project’s name, slug, colour, retention, alert frequency or attachment quotas (admins and owners)',
        tags,
        params: ProjectParams,
        body: ProjectPatchBody,
        response: { 200: ProjectJson, ...errorResponses },
      },
    },
    async (request) => {
      const { projectId } = parseParams(ProjectParams, request.params);
      await requireProjectRole(request, projectId, 'admin');
      const patch = parseBody(ProjectPatchBody, request.body);
      const project = await db.transaction((tx) => updateProject(tx, projectId, patch, actorOf(request)));
      if (!project) throw notFound(projectId);
      return projectView(project);
    },
  );

  app.delete(
    '/v1/projects/:projectId',
    {
      config,
      schema: {
        summary: `Delete a project (admins and owners): its keys stop at once; it can be restored for ${projectDeletionGraceMs / 86_400_000} days, then it is purged`,
        tags,
        params: ProjectParams,
        response: { 200: DeletedProjectJson, ...errorResponses },
      },
    },
    async (request) => {
      const { projectId } = parseParams(ProjectParams, request.params);
      await requireProjectRole(request, projectId, 'admin');
      const deleted = await db.transaction(async (tx) => (await deleteProject(tx, projectId, actorOf(request))) && getProject(tx, projectId, { includeDeleted: true }));
      if (!deleted) throw notFound(projectId);
      return deletedView(deleted);
    },
  );

  app.post(
    '/v1/projects/:projectId/restore',
    {
      config,
      schema: { summary: 'Restore a deleted project within its grace period (admins and owners)', tags, params: ProjectParams, response: { 200: ProjectJson, ...errorResponses } },
    },
    async (request) => {
      const { projectId } = parseParams(ProjectParams, request.params);
      // Deleted projects are invisible to requireProjectRole; the same rule applies: another team's id answers 404.
      const found = await getProject(db, projectId, { includeDeleted: true });
      if (!found || !request.user?.teams.has(found.team_id)) throw notFound(projectId);
      requireTeamRole(request, found.team_id, 'admin');
      if (found.deleted_ms === null) throw new ApiError('conflict', `project ${projectId} is not deleted`);
      if (found.deleted_ms + projectDeletionGraceMs <= Date.now()) {
        throw new ApiError('conflict', `project ${projectId}: its ${projectDeletionGraceMs / 86_400_000}-day grace ended; it is being purged`);
      }
      const project = await db.transaction((tx) => restoreProject(tx, projectId, actorOf(request)));
      if (!project) throw new ApiError('conflict', `project ${projectId} is not deleted`);
      return projectView(project);
    },
  );
};
