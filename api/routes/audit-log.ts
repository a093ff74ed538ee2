import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { getProject, listAuditLog, type AuditLogRow } from '@strix/control';
import { ApiError, errorResponses, parseQuery, type ZodRoutes } from '@strix/http';
import { requireTeamRole } from '../team-access.ts';

export const AuditLogLimits = { defaultLimit: 50, maxLimit: 200 } as const;

const AuditLogQuery = z.object({
  limit: z.coerce
    .number({ error: 'must be a number' })
    .int({ error: 'must be a whole number' })
    .min(1, { error: 'must be at least 1' })
    .max(AuditLogLimits.maxLimit, { error: `must be at most ${AuditLogLimits.maxLimit}` })
    .default(AuditLogLimits.defaultLimit),
  cursor: z
    .string()
    .regex(/^[1-9]\d{0,15}$/, { error: 'must be a next_cursor returned by this endpoint' })
    .transform(Number)
    .optional()
    .meta({ description: 'next_cursor of the previous page' }),
  team_id: z.string().min(1).optional().meta({ description: 'Required with a session: the team whose log to read (admins and owners)' }),
  project_id: z.string().min(1).optional().meta({ description: 'Only this project’s entries' }),
});

const AuditEntryJson = z.object({
  id: z.string(),
  team_id: z.string().nullable(),
  project_id: z.string().nullable(),
  actor: z.object({
    type: z.enum(['user', 'key', 'system']),
    id: z.string(),
    label: z.string().meta({ description: 'An email, a key prefix or a job name' }),
  }),
  action: z.string().meta({ description: 'project.create, app.delete, key.rotate, …' }),
  target_type: z.string(),
  target_id: z.string(),
  details: z.record(z.string(), z.unknown()),
  ip: z.string().meta({ description: 'The address the change came from ("" when Strix made it)' }),
  created_at: z.string(),
});
const AuditLogPage = z.object({ entries: z.array(AuditEntryJson), next_cursor: z.string().nullable() });

const entryView = (e: AuditLogRow): z.input<typeof AuditEntryJson> => ({
  id: String(e.id),
  team_id: e.team_id,
  project_id: e.project_id,
  actor: { type: e.actor_type, id: e.actor_id, label: e.actor_label },
  action: e.action,
  target_type: e.target_type,
  target_id: e.target_id,
  details: e.details,
  ip: e.ip,
  created_at: new Date(e.created_ms).toISOString(),
});

type Query = z.infer<typeof AuditLogQuery>;

/** The team and project whose entries the caller may read; ids of others answer as missing ones. */
async function scopeOf(request: FastifyRequest, q: Query): Promise<{ teamId: string; projectId?: string }> {
  const db = request.server.control.db;
  const key = request.user ? undefined : request.principal;
  if (key) {
    // An agent key reads its own project's entries, nothing of the rest of its team.
    if (key.keyType !== 'agent') throw new ApiError('forbidden', `this endpoint needs an agent key or a signed-in admin; ${key.keyType === 'import' ? 'an' : 'a'} ${key.keyType} key was sent`);
    if (!key.permissions.includes('audit_logs:read')) throw new ApiError('forbidden', 'API key lacks the "audit_logs:read" permission');
    const teamId = key.teamId ?? (await getProject(db, key.projectId))?.team_id;
    if (q.project_id !== undefined && q.project_id !== key.projectId) throw new ApiError('not_found', `project ${q.project_id} does not exist`);
    if (!teamId) throw new ApiError('not_found', `project ${key.projectId} does not exist`);
    if (q.team_id !== undefined && q.team_id !== teamId) throw new ApiError('not_found', `team ${q.team_id} does not exist`);
    return { teamId, projectId: key.projectId };
  }
  if (q.team_id === undefined) throw new ApiError('bad_request', 'query parameter team_id: is required with a session; the team whose log to read');
  requireTeamRole(request, q.team_id, 'admin');
  if (q.project_id !== undefined && (await getProject(db, q.project_id, { includeDeleted: true }))?.team_id !== q.team_id) {
    throw new ApiError('not_found', `project ${q.project_id} does not exist`);
  }
  return { teamId: q.team_id, ...(q.project_id !== undefined && { projectId: q.project_id }) };
}

/** `GET /v1/audit-log`: who changed what, newest first; agent keys with audit_logs:read, or a team's admins and owners. */
export const auditLogRoutes: ZodRoutes = async (app) => {
  app.get(
    '/v1/audit-log',
    {
      config: { auth: 'any' },
      schema: {
        summary: 'Management actions, newest first: an agent key with audit_logs:read reads its project’s; a signed-in admin or owner their team’s',
        tags: ['audit log'],
        querystring: AuditLogQuery,
        response: { 200: AuditLogPage, ...errorResponses },
      },
    },
    async (request) => {
      const q = parseQuery(AuditLogQuery, request.query);
      const scope = await scopeOf(request, q);
      // One more than asked tells whether another page follows.
      const rows = await listAuditLog(app.control.db, scope.teamId, { ...(scope.projectId !== undefined && { projectId: scope.projectId }), ...(q.cursor !== undefined && { before: q.cursor }), limit: q.limit + 1 });
      const page = rows.slice(0, q.limit);
      return { entries: page.map(entryView), next_cursor: rows.length > q.limit ? String(page.at(-1)!.id) : null };
    },
  );
};
