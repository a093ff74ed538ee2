import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { DomainError, type SessionUser } from '@strix/contracts';
import {
  createSession,
  listSessions,
  listUserTeams,
  revokeSession,
  revokeUserSessions,
  requestSignInCode,
  signInCodeLifetimeMs,
  signInThrottle,
  verifySignIn,
  type SignInProof,
} from '@strix/control';
import { ApiError, ErrorBody, NoContent, clearSessionCookies, errorResponses, parseBody, parseParams, parseQuery, setSessionCookies, type ZodRoutes } from '@strix/http';
import { signInMail, type PeopleMail } from '../people-mail.ts';
import { Email, Id, RoleName, Token, UserJson, iso, userView } from './people-schemas.ts';

export interface PeopleRoutesOptions {
  mail: PeopleMail | undefined;
  /** The address people reach Strix at, for links. */
  publicUrl: string;
}

const SendCodeBody = z.strictObject({ email: Email });
const SendCodeJson = z.object({
  email: z.string(),
  /** The same for every address, known or not. */
  message: z.string(),
  expires_at: z.string(),
});

const VerifyBody = z.strictObject({
  email: Email.optional().meta({ description: 'The address the code was sent to; with an owner link, the address to sign in with' }),
  code: z
    .string({ error: 'must be a string' })
    .regex(/^\d{6}$/, { error: 'must be the 6 digits from the mail' })
    .optional(),
  token: Token.optional().meta({ description: 'The token of a sign-in link, instead of email and code' }),
});
const SignedInJson = z.object({
  user: UserJson,
  /** The account was made by this sign-in. */
  created: z.boolean(),
  teams: z.array(z.object({ id: z.string(), name: z.string(), slug: z.string(), role: RoleName })),
});
const LinkParams = z.strictObject({ token: Token });
const LinkQuery = z.strictObject({ email: Email.optional().meta({ description: 'With an owner link: the address to sign in with' }) });

const SessionJson = z.object({
  id: z.string(),
  created_at: z.string(),
  last_seen_at: z.string(),
  expires_at: z.string(),
  user_agent: z.string(),
  ip: z.string(),
  /** The session of this request. */
  current: z.boolean(),
});
const SessionParams = z.strictObject({ id: Id });
const EverywhereBody = z.strictObject({ keep_current: z.boolean({ error: 'must be true or false' }).optional() });

/** The signed-in person of a route with `auth: 'user'`. */
export function personOf(request: FastifyRequest): SessionUser {
  if (!request.user) throw new ApiError('unauthorized', 'not signed in');
  return request.user;
}

const smtpMissing = [
  'sign-in by mailed code is off: SMTP is not configured (set STRIX_SMTP_URL and STRIX_MAIL_FROM).',
  'The owner signs in with the link Strix printed at first start (signInUrl in credentials.json);',
  'restart with STRIX_PRINT_SIGNIN=1 to print a new one.',
].join(' ');

// Not a client's mistake, and not the table's "overloaded" (retrying does not help): the install lacks a setting.
const unavailable = (reply: FastifyReply, message: string) => reply.code(503).send({ error: 'unavailable', message });

/** Passwordless sign-in and the signed-in person's sessions. */
export const authRoutes: ZodRoutes<PeopleRoutesOptions> = async (app, options) => {
  const tags = ['auth'];
  const db = () => app.control.db;

  /** Verifies a proof, opens a session with its cookies, and answers who signed in. */
  async function signIn(request: FastifyRequest, reply: FastifyReply, proof: SignInProof) {
    const client = { ip: request.ip, ...(request.headers['user-agent'] !== undefined && { userAgent: request.headers['user-agent'] }) };
    const outcome = await db().transaction(async (tx) => {
      const signedIn = await verifySignIn(tx, proof, Date.now(), request.ip);
      if (signedIn instanceof DomainError) return signedIn;
      return { ...signedIn, session: await createSession(tx, signedIn.user.id, client) };
    });
    // Thrown after the commit: a wrong code's attempt is counted.
    if (outcome instanceof DomainError) throw outcome;
    setSessionCookies(request, reply, outcome.session, options.publicUrl);
    const teams = await listUserTeams(db(), outcome.user.id);
    return { user: userView(outcome.user), created: outcome.created, teams: teams.map(({ id, name, slug, role }) => ({ id, name, slug, role })) };
  }

  app.post(
    '/v1/auth/send-code',
    {
      schema: {
        summary: `Mail a 6-digit sign-in code and a one-click link (one use, ${signInCodeLifetimeMs / 60_000} minutes); the same answer for every address`,
        description: `At most ${signInThrottle.codes} codes an address per ${signInThrottle.windowMs / 60_000} minutes (429 with Retry-After), known or not. 503 when SMTP is not configured.`,
        tags,
        body: SendCodeBody,
        response: { 202: SendCodeJson, 503: ErrorBody, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { email } = parseBody(SendCodeBody, request.body);
      const mail = options.mail;
      if (!mail) return unavailable(reply, smtpMissing);
      const now = Date.now();
      const sent = await db().transaction((tx) => requestSignInCode(tx, email, now));
      if (sent.throttled) {
        const seconds = Math.ceil(sent.retryAfterMs / 1000);
        throw new ApiError('rate_limited', `email: at most ${signInThrottle.codes} codes per ${signInThrottle.windowMs / 60_000} minutes for an address; ask again in ${Math.ceil(seconds / 60)} minutes`, seconds);
      }
      const link = `${options.publicUrl}/v1/auth/link/${sent.linkToken}`;
      try {
        await mail.mailer.send(signInMail(mail.from, email, sent.code, link, signInCodeLifetimeMs / 60_000));
      } catch (error) {
        console.error('[strix] sign-in mail failed:', (error as Error).message);
        return unavailable(reply, 'the mail server did not take the sign-in mail; try again later');
      }
      return reply.code(202).send({ email, message: `if ${email} can receive mail, a code and a link are on their way`, expires_at: iso(sent.expiresAt) });
    },
  );

  app.post(
    '/v1/auth/verify',
    { schema: { summary: 'Sign in with the mailed code (email and code) or a link’s token; sets the session cookies', tags, body: VerifyBody, response: { 200: SignedInJson, ...errorResponses } } },
    async (request, reply) => {
      const body = parseBody(VerifyBody, request.body);
      if (body.token !== undefined) {
        if (body.code !== undefined) throw new ApiError('bad_request', 'body field code: send either email and code, or token');
        return signIn(request, reply, { token: body.token, ...(body.email !== undefined && { email: body.email }) });
      }
      if (body.email === undefined) throw new ApiError('bad_request', 'body field email: is required with code (or send token)');
      if (body.code === undefined) throw new ApiError('bad_request', 'body field code: is required with email (or send token)');
      return signIn(request, reply, { email: body.email, code: body.code });
    },
  );

  /** Only API clients (Accept: application/json without text/html) are answered JSON; browsers are redirected. */
  const wantsJson = (request: FastifyRequest) => {
    const accept = request.headers.accept ?? '';
    return accept.includes('application/json') && !accept.includes('text/html');
  };

  const linkSchema = <T extends z.ZodType>(summary: string, description: string, ok: T) => ({
    schema: { summary, description, tags, params: LinkParams, querystring: LinkQuery, response: { 200: ok, ...errorResponses } },
  });

  // A mail client or a scanner that fetches the link must not use it up: a browser's GET shows a button that POSTs.
  app.get(
    '/v1/auth/link/:token',
    linkSchema(
      'The one-click link of a sign-in mail (or the owner link): a page whose button signs in',
      'A browser gets a page with a "Sign in" button (a form that POSTs to the same address), so link scanners and previews never use the link up. A client that accepts only JSON (Accept: application/json) is signed in at once and gets the answer of POST /v1/auth/verify.',
      z.union([SignedInJson, z.string().meta({ description: 'The text/html page' })]),
    ),
    async (request, reply) => {
      const { token } = parseParams(LinkParams, request.params);
      const { email } = parseQuery(LinkQuery, request.query);
      if (wantsJson(request)) return signIn(request, reply, { token, ...(email !== undefined && { email }) });
      // The token is base64url and the address a checked email, so neither needs escaping beyond the query's encoding.
      const action = `/v1/auth/link/${token}${email === undefined ? '' : `?email=${encodeURIComponent(email)}`}`;
      return reply
        .type('text/html; charset=utf-8')
        .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'")
        .header('cache-control', 'no-store')
        .header('referrer-policy', 'no-referrer')
        .send(confirmPage(action));
    },
  );

  // Browsers post the page's form as application/x-www-form-urlencoded with no fields: the token is in the address.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 1024 }, (_request, _body, done) => done(null, {}));

  app.post(
    '/v1/auth/link/:token',
    linkSchema(
      'Use a sign-in link (the button of its page): signs in, sets the session cookies and redirects to /',
      'Answers 303 See Other to / (no body); a client that accepts only JSON gets the answer of POST /v1/auth/verify.',
      SignedInJson,
    ),
    async (request, reply) => {
      const { token } = parseParams(LinkParams, request.params);
      const { email } = parseQuery(LinkQuery, request.query);
      const signedIn = await signIn(request, reply, { token, ...(email !== undefined && { email }) });
      return wantsJson(request) ? signedIn : reply.redirect('/', 303);
    },
  );

  const user = { auth: 'user' } as const;

  app.post(
    '/v1/auth/sign-out',
    { config: user, schema: { summary: 'Sign this session out and clear its cookies', tags, response: { 204: NoContent, ...errorResponses } } },
    async (request, reply) => {
      const person = personOf(request);
      await db().transaction((tx) => revokeSession(tx, person.userId, person.sessionId));
      clearSessionCookies(reply);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/sessions',
    { config: user, schema: { summary: 'Your live sessions, most recently used first', tags, response: { 200: z.object({ sessions: z.array(SessionJson) }), ...errorResponses } } },
    async (request) => {
      const person = personOf(request);
      const sessions = await listSessions(db(), person.userId);
      return {
        sessions: sessions.map((s) => ({
          id: s.id,
          created_at: iso(s.created_ms),
          last_seen_at: iso(s.last_seen_ms),
          expires_at: iso(s.expires_ms),
          user_agent: s.user_agent,
          ip: s.ip,
          current: s.id === person.sessionId,
        })),
      };
    },
  );

  app.delete(
    '/v1/sessions/:id',
    { config: user, schema: { summary: 'Sign one of your sessions out', tags, params: SessionParams, response: { 204: NoContent, ...errorResponses } } },
    async (request, reply) => {
      const person = personOf(request);
      const { id } = parseParams(SessionParams, request.params);
      if (!(await db().transaction((tx) => revokeSession(tx, person.userId, id)))) throw new ApiError('not_found', `session ${id} does not exist or is signed out already`);
      if (id === person.sessionId) clearSessionCookies(reply);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/sessions/sign-out-everywhere',
    {
      config: user,
      schema: {
        summary: 'Sign every one of your sessions out (this one too, unless keep_current)',
        tags,
        body: EverywhereBody,
        response: { 200: z.object({ signed_out: z.number().int() }), ...errorResponses },
      },
    },
    async (request, reply) => {
      const person = personOf(request);
      const { keep_current } = parseBody(EverywhereBody, request.body);
      const signedOut = await db().transaction((tx) => revokeUserSessions(tx, person.userId, keep_current ? person.sessionId : undefined));
      if (!keep_current) clearSessionCookies(reply);
      return { signed_out: signedOut };
    },
  );
};

/** The page of a sign-in link: one button, no script. */
function confirmPage(action: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex">
<title>Sign in to Strix</title>
<style>body{font:16px system-ui,sans-serif;display:grid;place-items:center;min-height:90vh;margin:0}button{font:inherit;padding:.6em 1.4em}</style>
</head><body><form method="post" action="${action}"><h1>Sign in to Strix</h1><p>This link works once.</p><button type="submit">Sign in</button></form></body></html>
`;
}
