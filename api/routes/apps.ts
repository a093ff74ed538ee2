import { z } from 'zod';
import { appVersionSources, platformEnvironments, platforms } from '@strix/contracts';
import { createApp, createKey, deleteApp, getApp, listApps, renameApp, type AppRow } from '@strix/control';
import { ApiError, NoContent, errorResponses, parseBody, parseParams, type ZodRoutes } from '@strix/http';
import { actorOf } from '../actor.ts';
import { triggerProjectJob } from '../job-trigger.ts';
import { requireProjectRole } from '../team-access.ts';
import { NewKeyJson, newKeyView } from './keys.ts';
import { DisplayName, ProjectParams } from './projects.ts';

export const AppJson = z.object({
  id: z.string(),
  project_id: z.string(),
  name: z.string(),
  platform: z.enum(platforms),
  bundle_id: z.string().nullable(),
  environments: z.array(z.string()).meta({ description: 'The `environment` values this app’s events may carry (fixed by its platform)' }),
  created_at: z.string(),
  latest_app_version: z
    .string()
    .nullable()
    .meta({ description: 'The app’s newest release: the App Store’s version for Apple apps it lists, otherwise the highest app_version of its production events; null until known' }),
  latest_app_version_updated_at: z.string().nullable().meta({ description: 'When latest_app_version or its source last changed' }),
  latest_app_version_source: z.enum(appVersionSources).nullable().meta({ description: 'app_store: the App Store lookup; events: the app’s production events' }),
});

export const appView = (a: AppRow): z.input<typeof AppJson> => ({
  id: a.id,
  project_id: a.project_id,
  name: a.name,
  platform: a.platform,
  bundle_id: a.bundle_id,
  environments: [...platformEnvironments[a.platform]],
  created_at: new Date(a.created_ms).toISOString(),
  latest_app_version: a.latest_app_version,
  latest_app_version_updated_at: a.latest_app_version_updated_ms === null ? null : new Date(a.latest_app_version_updated_ms).toISOString(),
  latest_app_version_source: a.latest_app_version_source,
});

// Dot-separated labels of letters, digits, `-` and `_` (not at either end of a label), two at least:
// an Apple bundle id or Android package (com.example.shop) or a web host (shop.example.com).
const bundleIdPattern = /^[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9])?)+$/;
const BundleId = z
  .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
  .max(255, { error: 'must be at most 255 characters' })
  .regex(bundleIdPattern, { error: 'must be a reverse-DNS id like com.example.shop or a host like shop.example.com' });

const NewAppBody = z
  .strictObject({
    name: DisplayName,
    platform: z.enum(platforms, { error: (issue) => (issue.input === undefined ? 'is required' : `must be one of ${platforms.join(', ')}`) }),
    bundle_id: BundleId.nullable().optional().meta({ description: 'Required except for backend apps; never changes after creation' }),
  })
  .superRefine((body, ctx) => {
    if (body.platform !== 'backend' && body.bundle_id == null) ctx.addIssue({ code: 'custom', path: ['bundle_id'], message: `is required for ${body.platform} apps` });
  });

const AppPatchBody = z.strictObject({ name: DisplayName });
const immutable = ['platform', 'bundle_id'] as const;

const CreatedAppJson = AppJson.extend({ client_key: NewKeyJson.meta({ description: 'The app’s client key, with its secret: shown only in this answer' }) });

const AppParams = ProjectParams.extend({ appId: z.string().min(1) });

const appNotFound = (projectId: string, appId: string) => new ApiError('not_found', `app ${appId} does not exist in project ${projectId}`);

/**
 * A project's apps: listed by members (and by agent keys with apps:read for
 * their own project), created, renamed and deleted by admins and owners.
 */
export const appsRoutes: ZodRoutes = async (app) => {
  const config = { auth: 'user' } as const;
  const tags = ['apps'];
  const db = app.control.db;
  const AppList = z.object({ apps: z.array(AppJson) });

  app.get(
    '/v1/apps',
    { config: { keyType: 'agent', permission: 'apps:read' }, schema: { summary: 'The key’s project’s apps', tags, response: { 200: AppList, ...errorResponses } } },
    async (request) => ({ apps: (await listApps(db, request.principal.projectId)).map(appView) }),
  );

  app.get(
    '/v1/projects/:projectId/apps',
    { config, schema: { summary: 'The project’s apps (members and up)', tags, params: ProjectParams, response: { 200: AppList, ...errorResponses } } },
    async (request) => {
      const { projectId } = parseParams(ProjectParams, request.params);
      await requireProjectRole(request, projectId, 'member');
      return { apps: (await listApps(db, projectId)).map(appView) };
    },
  );

  app.post(
    '/v1/projects/:projectId/apps',
    {
      config,
      schema: {
        summary: 'Create an app and its client key; the key’s secret is in this answer only (admins and owners)',
        tags,
        params: ProjectParams,
        body: NewAppBody,
        response: { 201: CreatedAppJson, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { projectId } = parseParams(ProjectParams, request.params);
      await requireProjectRole(request, projectId, 'admin');
      const body = parseBody(NewAppBody, request.body);
      const actor = actorOf(request);
      const { created, key } = await db.transaction(async (tx) => {
        const created = await createApp(tx, projectId, { name: body.name, platform: body.platform, bundle_id: body.bundle_id ?? null }, actor);
        const key = await createKey(tx, projectId, { type: 'client', appId: created.id, name: body.name, createdBy: request.user!.userId }, actor);
        return { created, key };
      });
      // An Apple app's latest version is looked up in the App Store at once, not at the next hourly sync.
      if (created.platform === 'apple' && created.bundle_id) {
        await triggerProjectJob(app, { projectId, job: 'app_version_sync', params: {}, actor }).catch((error: unknown) => {
          request.log.warn({ err: error }, 'app_version_sync after the app was created could not start; the hourly sync will find its version');
        });
      }
      return reply.code(201).send({ ...appView(created), client_key: newKeyView(key) });
    },
  );

  app.get(
    '/v1/projects/:projectId/apps/:appId',
    { config, schema: { summary: 'An app (members and up)', tags, params: AppParams, response: { 200: AppJson, ...errorResponses } } },
    async (request) => {
      const { projectId, appId } = parseParams(AppParams, request.params);
      await requireProjectRole(request, projectId, 'member');
      const found = await getApp(db, projectId, appId);
      if (!found) throw appNotFound(projectId, appId);
      return appView(found);
    },
  );

  app.patch(
    '/v1/projects/:projectId/apps/:appId',
    { config, schema: { summary: 'Rename an app; its platform and bundle id never change (admins and owners)', tags, params: AppParams, body: AppPatchBody, response: { 200: AppJson, ...errorResponses } } },
    async (request) => {
      const { projectId, appId } = parseParams(AppParams, request.params);
      await requireProjectRole(request, projectId, 'admin');
      const named = immutable.find((field) => typeof request.body === 'object' && request.body !== null && field in request.body);
      if (named) throw new ApiError('bad_request', `body field ${named}: cannot be changed after the app is created; create another app instead`);
      const { name } = parseBody(AppPatchBody, request.body);
      const renamed = await db.transaction((tx) => renameApp(tx, projectId, appId, name, actorOf(request)));
      if (!renamed) throw appNotFound(projectId, appId);
      return appView(renamed);
    },
  );

  app.delete(
    '/v1/projects/:projectId/apps/:appId',
    { config, schema: { summary: 'Delete an app: its keys stop at once; its events stay (admins and owners)', tags, params: AppParams, response: { 204: NoContent, ...errorResponses } } },
    async (request, reply) => {
      const { projectId, appId } = parseParams(AppParams, request.params);
      await requireProjectRole(request, projectId, 'admin');
      const deleted = await db.transaction((tx) => deleteApp(tx, projectId, appId, actorOf(request)));
      if (!deleted) throw appNotFound(projectId, appId);
      return reply.code(204).send(null);
    },
  );
};
