import { z } from 'zod';
import { changeMemberRole, createTeamOf, listMembers, listUserTeams, removeMember } from '@strix/control';
import { NoContent, errorResponses, parseBody, parseParams, parseQuery, type ZodRoutes } from '@strix/http';
import { actorOf } from '../actor.ts';
import { requireTeamRole } from '../team-access.ts';
import { personOf } from './auth.ts';
import { Id, MemberJson, PageQuery, RoleName, TeamJson, decodeEmailCursor, memberView, nextEmailCursor, teamView } from './people-schemas.ts';

const NewTeam = z.strictObject({
  name: z
    .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
    .trim()
    .min(1, { error: 'must not be empty' })
    .max(200, { error: 'must be at most 200 characters' }),
  slug: z
    .string({ error: 'must be a string' })
    .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, { error: 'must be lower-case letters and digits separated by single dashes' })
    .max(48, { error: 'must be at most 48 characters' })
    .optional(),
});
const TeamParams = z.strictObject({ teamId: Id });
const MemberParams = z.strictObject({ teamId: Id, userId: Id });
const RoleBody = z.strictObject({ role: RoleName });

/** The signed-in person's teams and each team's members. Role rules are the control plane's (members.ts); every change is audited. */
export const teamRoutes: ZodRoutes = async (app) => {
  const config = { auth: 'user' } as const;
  const tags = ['teams'];
  const db = () => app.control.db;

  app.get(
    '/v1/teams',
    { config, schema: { summary: 'Your teams, with your role in each', tags, response: { 200: z.object({ teams: z.array(TeamJson) }), ...errorResponses } } },
    async (request) => ({ teams: (await listUserTeams(db(), personOf(request).userId)).map(teamView) }),
  );

  app.post(
    '/v1/teams',
    { config, schema: { summary: 'Create a team; you become its owner', tags, body: NewTeam, response: { 201: TeamJson, ...errorResponses } } },
    async (request, reply) => {
      const body = parseBody(NewTeam, request.body);
      const team = await db().transaction((tx) => createTeamOf(tx, { name: body.name, ...(body.slug !== undefined && { slug: body.slug }) }, actorOf(request)));
      return reply.code(201).send(teamView(team));
    },
  );

  app.get(
    '/v1/teams/:teamId/members',
    {
      config,
      schema: {
        summary: 'The team’s members by address, a page at a time',
        tags,
        params: TeamParams,
        querystring: PageQuery,
        response: { 200: z.object({ members: z.array(MemberJson), next_cursor: z.string().nullable() }), ...errorResponses },
      },
    },
    async (request) => {
      const { teamId } = parseParams(TeamParams, request.params);
      requireTeamRole(request, teamId, 'member');
      const { limit, cursor } = parseQuery(PageQuery, request.query);
      const after = decodeEmailCursor(cursor);
      const members = await listMembers(db(), teamId, { limit, ...(after !== undefined && { after }) });
      return { members: members.map(memberView), next_cursor: nextEmailCursor(members, limit) };
    },
  );

  app.patch(
    '/v1/teams/:teamId/members/:userId',
    {
      config,
      schema: {
        summary: 'Change a member’s role: owners any, admins members only; the last owner cannot be demoted',
        tags,
        params: MemberParams,
        body: RoleBody,
        response: { 200: MemberJson, ...errorResponses },
      },
    },
    async (request) => {
      const { teamId, userId } = parseParams(MemberParams, request.params);
      requireTeamRole(request, teamId, 'member');
      const { role } = parseBody(RoleBody, request.body);
      return memberView(await db().transaction((tx) => changeMemberRole(tx, teamId, userId, role, actorOf(request))));
    },
  );

  app.delete(
    '/v1/teams/:teamId/members/:userId',
    {
      config,
      schema: {
        summary: 'Remove a member (or leave, with your own id); revokes the agent keys they created in the team’s projects',
        tags,
        params: MemberParams,
        response: { 204: NoContent, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { teamId, userId } = parseParams(MemberParams, request.params);
      requireTeamRole(request, teamId, 'member');
      await db().transaction((tx) => removeMember(tx, teamId, userId, actorOf(request)));
      return reply.code(204).send(null);
    },
  );
};
