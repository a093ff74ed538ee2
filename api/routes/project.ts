import { z } from 'zod';
import { IssueAlertFrequency } from '@strix/contracts';
import { ApiError, NoContent, errorResponses, parseBody, parseParams, type ZodRoutes } from '@strix/http';
import type { ProjectMemberRow, ProjectRow } from '@strix/projects';

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

const ProjectPatch = z
  .strictObject({
    name: Name(200).min(1, { error: 'must not be empty' }).optional(),
    issue_alert_frequency: z
      .enum(IssueAlertFrequency.options, { error: `must be one of ${IssueAlertFrequency.options.join(', ')}` })
      .optional(),
  })
  .refine((patch) => Object.values(patch).some((v) => v !== undefined), {
    error: 'set at least one of name, issue_alert_frequency',
  });

const NewMember = z.strictObject({ email: Email, name: Name(200).optional() });
const MemberParams = z.object({ email: Email });

const ProjectJson = z.object({ id: z.string(), name: z.string(), retention_days: z.number().int(), issue_alert_frequency: IssueAlertFrequency });
const MemberJson = z.object({ email: z.string(), name: z.string(), created_at: z.string() });

const projectView = (p: ProjectRow): z.input<typeof ProjectJson> => ({
  id: p.project_id,
  name: p.name,
  retention_days: p.retention_days,
  issue_alert_frequency: p.issue_alert_frequency,
});

const memberView = (m: ProjectMemberRow): z.input<typeof MemberJson> => ({ email: m.email, name: m.name, created_at: new Date(m.created_at).toISOString() });

const notFound = (projectId: string) => new ApiError('not_found', `project ${projectId} does not exist`);

/** Project settings and the team that receives issue digests: agent keys with project:admin. */
export const projectRoutes: ZodRoutes = async (app) => {
  const config = { keyType: 'agent', permission: 'project:admin' } as const;
  const tags = ['project'];

  app.get('/v1/project', { config, schema: { summary: 'The project’s settings', tags, response: { 200: ProjectJson, ...errorResponses } } }, async (request) => {
    const project = await app.projects.get(request.principal.projectId);
    if (!project) throw notFound(request.principal.projectId);
    return projectView(project);
  });

  app.patch(
    '/v1/project',
    { config, schema: { summary: 'Rename the project or change how often issue alerts are sent', tags, body: ProjectPatch, response: { 200: ProjectJson, ...errorResponses } } },
    async (request) => {
      const patch = parseBody(ProjectPatch, request.body);
      const project = await app.projects.updateSettings(request.principal.projectId, patch);
      if (!project) throw notFound(request.principal.projectId);
      return projectView(project);
    },
  );

  app.get(
    '/v1/project/members',
    { config, schema: { summary: 'The team that receives issue digests', tags, response: { 200: z.object({ members: z.array(MemberJson) }), ...errorResponses } } },
    async (request) => ({ members: (await app.projects.members(request.principal.projectId)).map(memberView) }),
  );

  // Idempotent: adding a current member again answers 200 with the member as it is.
  app.post(
    '/v1/project/members',
    { config, schema: { summary: 'Add a member (201), or answer 200 for a current one', tags, body: NewMember, response: { 200: MemberJson, 201: MemberJson, ...errorResponses } } },
    async (request, reply) => {
      const body = parseBody(NewMember, request.body);
      const { member, created } = await app.projects.addMember(request.principal.projectId, {
        email: body.email,
        ...(body.name !== undefined && { name: body.name }),
      });
      return reply.code(created ? 201 : 200).send(memberView(member));
    },
  );

  app.delete(
    '/v1/project/members/:email',
    { config, schema: { summary: 'Remove a member', tags, params: MemberParams, response: { 204: NoContent, ...errorResponses } } },
    async (request, reply) => {
      const { email } = parseParams(MemberParams, request.params);
      const removed = await app.projects.removeMember(request.principal.projectId, email);
      if (!removed) throw new ApiError('not_found', `${email} is not a member of this project`);
      return reply.code(204).send(null);
    },
  );
};
