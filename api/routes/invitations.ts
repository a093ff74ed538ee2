import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { acceptInvitation, createInvitation, getTeam, listInvitations, previewInvitation, resendInvitation, revokeInvitation, type InvitationRow } from '@strix/control';
import { NoContent, errorResponses, parseBody, parseParams, parseQuery, type ZodRoutes } from '@strix/http';
import { actorOf } from '../actor.ts';
import { invitationMail } from '../people-mail.ts';
import { requireTeamRole } from '../team-access.ts';
import { personOf, type PeopleRoutesOptions } from './auth.ts';
import { Email, Id, InvitationJson, PageQuery, RoleName, Token, decodeEmailCursor, invitationView, iso, nextEmailCursor } from './people-schemas.ts';

const TeamParams = z.strictObject({ teamId: Id });
const InvitationParams = z.strictObject({ teamId: Id, id: Id });
const TokenParams = z.strictObject({ token: Token });
const NewInvitation = z.strictObject({ email: Email, role: RoleName.default('member') });

const SentInvitationJson = z.object({
  invitation: InvitationJson,
  /** The invitation's link: mailed when SMTP is configured, otherwise yours to hand over. Shown once. */
  invite_url: z.string(),
  mailed: z.boolean(),
});
const PreviewJson = z.object({
  team: z.object({ name: z.string() }),
  email: z.string(),
  role: RoleName,
  invited_by: z.object({ name: z.string(), email: z.string() }),
  expires_at: z.string(),
});
const AcceptedJson = z.object({ team: z.object({ id: z.string(), name: z.string(), slug: z.string() }), role: RoleName });

/** Invitations by email: admins and owners manage a team's; anyone with the link sees it; the invited person accepts it. */
export const invitationRoutes: ZodRoutes<PeopleRoutesOptions> = async (app, options) => {
  const config = { auth: 'user' } as const;
  const tags = ['teams'];
  const db = () => app.control.db;
  const linkOf = (token: string) => `${options.publicUrl}/v1/invitations/${token}`;

  /** Mails the invitation when SMTP is configured; a failed mail leaves the invitation and its link to hand over. */
  async function deliver(request: FastifyRequest, teamId: string, sent: { invitation: InvitationRow; token: string }) {
    const link = linkOf(sent.token);
    let mailed = false;
    if (options.mail) {
      const team = await getTeam(db(), teamId);
      const invitedBy = request.user?.name || request.user?.email || 'A Strix user';
      const message = invitationMail(options.mail.from, {
        to: sent.invitation.email,
        teamName: team?.name ?? teamId,
        role: sent.invitation.role,
        invitedBy,
        link,
        expiresAt: iso(sent.invitation.expires_ms),
      });
      mailed = await options.mail.mailer.send(message).then(
        () => true,
        (error: unknown) => (console.error('[strix] invitation mail failed:', (error as Error).message), false),
      );
    }
    return { invitation: invitationView(sent.invitation), invite_url: link, mailed };
  }

  app.get(
    '/v1/teams/:teamId/invitations',
    {
      config,
      schema: {
        summary: 'The team’s open invitations by address (admins and owners)',
        tags,
        params: TeamParams,
        querystring: PageQuery,
        response: { 200: z.object({ invitations: z.array(InvitationJson), next_cursor: z.string().nullable() }), ...errorResponses },
      },
    },
    async (request) => {
      const { teamId } = parseParams(TeamParams, request.params);
      requireTeamRole(request, teamId, 'admin');
      const { limit, cursor } = parseQuery(PageQuery, request.query);
      const after = decodeEmailCursor(cursor);
      const rows = await listInvitations(db(), teamId, { limit, ...(after !== undefined && { after }) });
      return { invitations: rows.map((row) => invitationView(row)), next_cursor: nextEmailCursor(rows, limit) };
    },
  );

  app.post(
    '/v1/teams/:teamId/invitations',
    {
      config,
      schema: {
        summary: 'Invite an address (admins invite members; owners any role); the link works 7 days',
        tags,
        params: TeamParams,
        body: NewInvitation,
        response: { 201: SentInvitationJson, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { teamId } = parseParams(TeamParams, request.params);
      requireTeamRole(request, teamId, 'admin');
      const body = parseBody(NewInvitation, request.body);
      const sent = await db().transaction((tx) => createInvitation(tx, teamId, body, actorOf(request)));
      return reply.code(201).send(await deliver(request, teamId, sent));
    },
  );

  app.post(
    '/v1/teams/:teamId/invitations/:id/resend',
    {
      config,
      schema: { summary: 'Send an invitation again with a new link (the old one stops working) and 7 more days', tags, params: InvitationParams, response: { 200: SentInvitationJson, ...errorResponses } },
    },
    async (request) => {
      const { teamId, id } = parseParams(InvitationParams, request.params);
      requireTeamRole(request, teamId, 'admin');
      const sent = await db().transaction((tx) => resendInvitation(tx, teamId, id, actorOf(request)));
      return deliver(request, teamId, sent);
    },
  );

  app.delete(
    '/v1/teams/:teamId/invitations/:id',
    { config, schema: { summary: 'Revoke an invitation', tags, params: InvitationParams, response: { 204: NoContent, ...errorResponses } } },
    async (request, reply) => {
      const { teamId, id } = parseParams(InvitationParams, request.params);
      requireTeamRole(request, teamId, 'admin');
      await db().transaction((tx) => revokeInvitation(tx, teamId, id, actorOf(request)));
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/invitations/:token',
    { schema: { summary: 'An invitation, for anyone with its link: who invited whom to what team, the role and until when', tags, params: TokenParams, response: { 200: PreviewJson, ...errorResponses } } },
    async (request) => {
      const { token } = parseParams(TokenParams, request.params);
      const p = await previewInvitation(db(), token);
      return { team: { name: p.team_name }, email: p.email, role: p.role, invited_by: { name: p.invited_by_name, email: p.invited_by_email }, expires_at: iso(p.expires_ms) };
    },
  );

  app.post(
    '/v1/invitations/:token/accept',
    { config, schema: { summary: 'Join the team with the invitation’s role; you must be signed in with the invited address', tags, params: TokenParams, response: { 200: AcceptedJson, ...errorResponses } } },
    async (request) => {
      const { token } = parseParams(TokenParams, request.params);
      const person = personOf(request);
      return db().transaction((tx) => acceptInvitation(tx, token, { id: person.userId, email: person.email }, actorOf(request)));
    },
  );
};
