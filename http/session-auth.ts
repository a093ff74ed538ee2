import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Principal, SessionUser } from '@strix/contracts';
import { rolePermissions } from '@strix/contracts';
import { ApiError } from './errors.ts';

/** The HTTP-only cookie holding a session's secret token. */
export const sessionCookie = 'strix_session';
/** A readable cookie whose value a signed-in page echoes in `csrfHeader` on every change (double submit). */
export const csrfCookie = 'strix_csrf';
export const csrfHeader = 'x-strix-csrf';
/** The project a session acts on, for routes that are a project's (an agent key carries its own). */
export const projectHeader = 'x-strix-project';

/** What the HTTP layer asks the control plane about sessions. */
export interface SessionAuth {
  /** The user a session token signs in (sliding its expiry), or undefined when unknown, expired or revoked. */
  user(token: string): Promise<SessionUser | undefined>;
  /** A live project's team and events retention. */
  project(projectId: string): Promise<{ teamId: string; retentionDays: number } | undefined>;
}

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

const cookiesOf = (request: FastifyRequest): Record<string, string | undefined> => request.server.parseCookie(request.headers.cookie ?? '');

/**
 * The signed-in user of a request's session cookie, or a 401 saying why not.
 * A change (any method but GET, HEAD, OPTIONS) must also carry the CSRF header:
 * a page of another site can make the browser send the cookie, but cannot read
 * it to send its value.
 */
export async function signedInUser(request: FastifyRequest, sessions: SessionAuth | undefined): Promise<SessionUser> {
  const cookies = cookiesOf(request);
  const token = cookies[sessionCookie];
  if (!sessions || !token) throw new ApiError('unauthorized', 'not signed in: sign in with POST /v1/auth/send-code, then POST /v1/auth/verify');
  const user = await sessions.user(token);
  if (!user) throw new ApiError('unauthorized', 'session expired or signed out: sign in again');
  if (!safeMethods.has(request.method)) {
    const sent = request.headers[csrfHeader];
    const expected = cookies[csrfCookie];
    if (!expected || typeof sent !== 'string' || sent !== expected) {
      throw new ApiError('forbidden', `${csrfHeader} header: required with a session cookie on ${request.method}, equal to the ${csrfCookie} cookie`);
    }
  }
  return user;
}

/**
 * A session acting on the project named by `projectHeader` (or, on a download
 * link's GET, by the `project` query parameter), as a principal with its
 * role's permissions. A project of a team the user is not in answers exactly
 * as a project that does not exist.
 */
export async function sessionPrincipal(request: FastifyRequest, sessions: SessionAuth | undefined, permission: string | undefined, downloadLink = false): Promise<Principal> {
  const user = await signedInUser(request, sessions);
  const projectId = request.headers[projectHeader] ?? (downloadLink && safeMethods.has(request.method) ? (request.query as Record<string, unknown>).project : undefined);
  if (typeof projectId !== 'string' || projectId === '') {
    throw new ApiError('bad_request', `${projectHeader} header: required with a session cookie; the id of the project to act on`);
  }
  const project = await sessions!.project(projectId);
  const role = project && user.teams.get(project.teamId);
  if (!project || !role) throw new ApiError('not_found', `project ${projectId} does not exist`);
  const permissions = rolePermissions[role];
  if (permission && !(permissions as readonly string[]).includes(permission)) {
    throw new ApiError('forbidden', `your role (${role}) lacks the "${permission}" permission`);
  }
  return {
    keyHash: '',
    keyType: 'agent',
    teamId: project.teamId,
    projectId,
    appId: '',
    permissions,
    revoked: false,
    retentionDays: project.retentionDays,
    user: { id: user.userId, email: user.email, sessionId: user.sessionId, role },
  };
}

/**
 * Sets the session and CSRF cookies; `Secure` when the request came over TLS or
 * people reach Strix at an https address (`publicUrl`: TLS ended by a proxy).
 */
export function setSessionCookies(request: FastifyRequest, reply: FastifyReply, session: { token: string; csrf: string; expiresAt: number }, publicUrl = ''): void {
  const secure = request.protocol === 'https' || publicUrl.startsWith('https:');
  const common = { path: '/', sameSite: 'lax' as const, secure, expires: new Date(session.expiresAt) };
  reply.setCookie(sessionCookie, session.token, { ...common, httpOnly: true });
  reply.setCookie(csrfCookie, session.csrf, { ...common, httpOnly: false });
}

export function clearSessionCookies(reply: FastifyReply): void {
  reply.clearCookie(sessionCookie, { path: '/' });
  reply.clearCookie(csrfCookie, { path: '/' });
}
