import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { IssueAlertFrequency } from '@strix/contracts';
import { addProjectMember, getProject, listProjectMembers, removeProjectMember, updateProjectSettings, type ProjectMemberRow, type ProjectRow } from '@strix/warehouse';
import { ApiError, errorResponseSchema } from '@strix/http';
import { parseBody, parseParams } from '@strix/http';

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

const projectSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    retention_days: { type: 'integer' },
    issue_alert_frequency: { type: 'string', enum: [...IssueAlertFrequency.options] },
  },
  required: ['id', 'name', 'retention_days', 'issue_alert_frequency'],
} as const;

const memberSchema = {
  type: 'object',
  properties: { email: { type: 'string' }, name: { type: 'string' }, created_at: { type: 'string' } },
  required: ['email', 'name', 'created_at'],
} as const;

const projectView = (p: ProjectRow) => ({
  id: p.project_id,
  name: p.name,
  retention_days: p.retention_days,
  issue_alert_frequency: p.issue_alert_frequency,
});

const memberView = (m: ProjectMemberRow) => ({ email: m.email, name: m.name, created_at: new Date(m.created_at).toISOString() });

const notFound = (projectId: string) => new ApiError('not_found', `project ${projectId} does not exist`);

/** Project settings and the team that receives issue digests: agent keys with project:admin. */
export const projectRoutes: FastifyPluginAsync = async (app) => {
  const errors = { '4xx': errorResponseSchema, '5xx': errorResponseSchema };
  const config = { keyType: 'agent', permission: 'project:admin' } as const;

  app.get('/v1/project', { config, schema: { response: { 200: projectSchema, ...errors } } }, async (request) => {
    const project = await getProject(app.warehouse, request.principal.projectId);
    if (!project) throw notFound(request.principal.projectId);
    return projectView(project);
  });

  app.patch('/v1/project', { config, schema: { response: { 200: projectSchema, ...errors } } }, async (request) => {
    const patch = parseBody(ProjectPatch, request.body);
    const project = await updateProjectSettings(app.warehouse, request.principal.projectId, patch);
    if (!project) throw notFound(request.principal.projectId);
    return projectView(project);
  });

  app.get(
    '/v1/project/members',
    {
      config,
      schema: {
        response: {
          200: { type: 'object', properties: { members: { type: 'array', items: memberSchema } }, required: ['members'] },
          ...errors,
        },
      },
    },
    async (request) => ({ members: (await listProjectMembers(app.warehouse, request.principal.projectId)).map(memberView) }),
  );

  // Idempotent: adding a current member again answers 200 with the member as it is.
  app.post(
    '/v1/project/members',
    { config, schema: { response: { 200: memberSchema, 201: memberSchema, ...errors } } },
    async (request, reply) => {
      const body = parseBody(NewMember, request.body);
      const { member, created } = await addProjectMember(app.warehouse, {
        project_id: request.principal.projectId,
        email: body.email,
        ...(body.name !== undefined && { name: body.name }),
      });
      return reply.code(created ? 201 : 200).send(memberView(member));
    },
  );

  app.delete(
    '/v1/project/members/:email',
    { config, schema: { response: { 204: { type: 'null' }, ...errors } } },
    async (request, reply) => {
      const { email } = parseParams(MemberParams, request.params);
      const removed = await removeProjectMember(app.warehouse, request.principal.projectId, email);
      if (!removed) throw new ApiError('not_found', `${email} is not a member of this project`);
      return reply.code(204).send();
    },
  );
};
