import { z } from 'zod';
import { keyTypes, platforms, rolePermissions } from '@strix/contracts';
import { getUser, listTeamProjects, listUserTeams } from '@strix/control';
import { ApiError, errorResponses, type ZodRoutes } from '@strix/http';
import { RoleName, UserJson, iso, userView } from './people-schemas.ts';

const KeyMe = z.object({
  type: z.literal('key'),
  key_type: z.enum(keyTypes),
  /** The key's first characters, safe to show. */
  prefix: z.string(),
  team_id: z.string().nullable(),
  project_id: z.string(),
  /** The app of a client or import key; null for agent keys (the whole project). */
  app_id: z.string().nullable(),
  platform: z.enum(platforms).nullable(),
  permissions: z.array(z.string()),
  expires_at: z.string().nullable(),
});

const SessionMe = z.object({
  type: z.literal('session'),
  user: UserJson,
  teams: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      slug: z.string(),
      role: RoleName,
      /** What the role may do in each of the team's projects (with the x-strix-project header). */
      projects: z.array(z.object({ id: z.string(), name: z.string(), slug: z.string(), permissions: z.array(z.string()) })),
    }),
  ),
});

const MeJson = z.union([KeyMe, SessionMe]);

/** `GET /v1/me`: who a key or a session is, and what it may do. */
export const meRoutes: ZodRoutes = async (app) => {
  app.get(
    '/v1/me',
    { config: { auth: 'any' }, schema: { summary: 'Who the key or the session is, and what it may do', tags: ['auth'], response: { 200: MeJson, ...errorResponses } } },
    async (request): Promise<z.input<typeof MeJson>> => {
      const person = request.user;
      if (!person) {
        const p = request.principal;
        return {
          type: 'key',
          key_type: p.keyType,
          prefix: p.keyPrefix ?? '',
          team_id: p.teamId ?? null,
          project_id: p.projectId,
          app_id: p.appId || null,
          platform: p.platform ?? null,
          permissions: [...p.permissions],
          expires_at: p.expiresAt != null ? iso(p.expiresAt) : null,
        };
      }
      const db = app.control.db;
      const user = await getUser(db, person.userId);
      if (!user) throw new ApiError('unauthorized', 'session expired or signed out: sign in again');
      const teams = await Promise.all(
        (await listUserTeams(db, user.id)).map(async (team) => ({
          id: team.id,
          name: team.name,
          slug: team.slug,
          role: team.role,
          projects: (await listTeamProjects(db, team.id)).map((p) => ({ id: p.id, name: p.name, slug: p.slug, permissions: [...rolePermissions[team.role]] })),
        })),
      );
      return { type: 'session', user: userView(user), teams };
    },
  );
};
