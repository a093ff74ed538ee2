import { z } from 'zod';
import { IssueAlertFrequency } from '@strix/contracts';
import { ApiError, NoContent, errorResponses, parseBody, parseParams, type ZodRoutes } from '@strix/http';
import type { DigestRecipient } from '@strix/contracts';
import type { ProjectRow } from '@strix/control';
import { actorOf } from '../actor.ts';

const required = (type: string) => (issue: { input: unknown }) => (issue.input === undefined ? 'is required' : `must be a ${type}`);

/** One address, one member: stored trimmed and lower-cased. 254 is RFC 5321's limit for a path. */
const Email = z
  .string({ error: required('string') })
  .trim()
  .toLowerCase()
  .pipe(z.email({ error: 'must be an email address' }).max(254, { error: 'must be at most 254 characters' }));

const Name = (max: number) =>
  z
    .string({ error: required('string') })
    .trim()
    .max(max, { error: `must be at most ${max} characters` });

const RetentionDays = z
  .number({ error: required('number') })
  .int({ error: 'must be a whole number of days' })
  .min(1, { error: 'must be at least 1 day' })
  .max(3650, { error: 'must be at most 3650 days' });

export const ProjectColor = z.string({ error: required('string') }).regex(/^#[0-9a-fA-F]{6}$/, { error: 'must be a colour like #4f46e5' });

const ProjectPatch = z
  .strictObject({
    name: Name(200).min(1, { error: 'must not be empty' }).optional(),
    color: ProjectColor.optional(),
    retention_events_days: RetentionDays.optional(),
    retention_metrics_days: RetentionDays.optional(),
    retention_funnels_days: RetentionDays.optional(),
    issue_alert_frequency: z
      .enum(IssueAlertFrequency.options, { error: `must be one of ${IssueAlertFrequency.options.join(', ')}` })
      .optional(),
  })
  .refine((patch) => Object.values(patch).some((v) => v !== undefined), {
    error: 'set at least one of name, color, retention_events_days, retention_metrics_days, retention_funnels_days, issue_alert_frequency',
  });

const NewMember = z.strictObject({ email: Email, name: Name(200).optional() });
const MemberParams = z.object({ email: Email });

export const ProjectJson = z.object({
  id: z.string(),
  team_id: z.string(),
  name: z.string(),
  slug: z.string(),
  color: z.string(),
  /** Days events are kept (the same as retention_events_days). */
  retention_days: z.number().int(),
  retention_events_days: z.number().int(),
  retention_metrics_days: z.number().int(),
  retention_funnels_days: z.number().int(),
  issue_alert_frequency: IssueAlertFrequency,
  attachment_quota_bytes: z.number().int(),
  attachment_user_quota_bytes: z.number().int(),
  created_at: z.string(),
});
const MemberJson = z.object({ email: z.string(), name: z.string(), created_at: z.string() });

export const projectView = (p: ProjectRow): z.input<typeof ProjectJson> => ({
  id: p.id,
  team_id: p.team_id,
  name: p.name,
  slug: p.slug,
  color: p.color,
  retention_days: p.retention_events_days,
  retention_events_days: p.retention_events_days,
  retention_metrics_days: p.retention_metrics_days,
  retention_funnels_days: p.retention_funnels_days,
  issue_alert_frequency: p.issue_alert_frequency,
  attachment_quota_bytes: p.attachment_quota_bytes,
  attachment_user_quota_bytes: p.attachment_user_quota_bytes,
  created_at: new Date(p.created_ms).toISOString(),
});

const memberView = (m: DigestRecipient): z.input<typeof MemberJson> => ({ email: m.email, name: m.name, created_at: new Date(m.created_at).toISOString() });

const notFound = (projectId: string) => new ApiError('not_found', `project ${projectId} does not exist`);

/** Project settings and the people who receive issue digests: agent keys with projects:read to read, projects:write to change. */
export const projectRoutes: ZodRoutes = async (app) => {
  const read = { keyType: 'agent', permission: 'projects:read' } as const;
  const config = { keyType: 'agent', permission: 'projects:write' } as const;
  const tags = ['project'];

  app.get('/v1/project', { config: read, schema: { summary: 'The project’s settings', tags, response: { 200: ProjectJson, ...errorResponses } } }, async (request) => {
    const project = await app.projects.get(request.principal.projectId);
    if (!project) throw notFound(request.principal.projectId);
    return projectView(project);
  });

  app.patch(
    '/v1/project',
    { config, schema: { summary: 'Rename the project, or change its colour, retention or how often issue alerts are sent', tags, body: ProjectPatch, response: { 200: ProjectJson, ...errorResponses } } },
    async (request) => {
      const patch = parseBody(ProjectPatch, request.body);
      const project = await app.projects.updateSettings(request.principal.projectId, patch, actorOf(request));
      if (!project) throw notFound(request.principal.projectId);
      return projectView(project);
    },
  );

  app.get(
    '/v1/project/members',
    { config: read, schema: { summary: 'The people who receive issue digests', tags, response: { 200: z.object({ members: z.array(MemberJson) }), ...errorResponses } } },
    async (request) => ({ members: (await app.projects.members(request.principal.projectId)).map(memberView) }),
  );

  // Idempotent: adding a current member again answers 200 with the member as it is.
  app.post(
    '/v1/project/members',
    { config, schema: { summary: 'Add a member (201), or answer 200 for a current one', tags, body: NewMember, response: { 200: MemberJson, 201: MemberJson, ...errorResponses } } },
    async (request, reply) => {
      const body = parseBody(NewMember, request.body);
      const added = await app.projects.addMember(
        request.principal.projectId,
        { email: body.email, ...(body.name !== undefined && { name: body.name }) },
        actorOf(request),
      );
      if (!added) throw notFound(request.principal.projectId);
      const { member, created } = added;
      return reply.code(created ? 201 : 200).send(memberView(member));
    },
  );

  app.delete(
    '/v1/project/members/:email',
    { config, schema: { summary: 'Remove a member', tags, params: MemberParams, response: { 204: NoContent, ...errorResponses } } },
    async (request, reply) => {
      const { email } = parseParams(MemberParams, request.params);
      const removed = await app.projects.removeMember(request.principal.projectId, email, actorOf(request));
      if (!removed) throw new ApiError('not_found', `${email} is not a member of this project`);
      return reply.code(204).send(null);
    },
  );
};
