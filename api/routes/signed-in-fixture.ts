// Shared by the management suites (projects.test.ts, keys.test.ts): the API on a PGlite control plane, with teams of signed-in people.
import type { FastifyInstance } from 'fastify';
import type { Principal, Role, Warehouse } from '@strix/contracts';
import { createSession, createTeam, ensureUser, setTeamRole, systemActor, type ControlPlane, type ControlSql } from '@strix/control';
import { testApp } from '@strix/testkit/apps';
import { openTestControl } from '@strix/testkit/control';

export const system = systemActor('test');

// The management routes read and write the control plane only.
const unused = new Proxy({}, { get: () => () => Promise.reject(new Error('not used by this test')) }) as Warehouse;

export type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
export interface Reply {
  statusCode: number;
  body: string;
  json: <T = Record<string, unknown>>() => T;
}
export type Caller = (method: Method, url: string, payload?: object) => Promise<Reply>;

export const message = (res: Reply): string => res.json<{ message: string }>().message;

export interface SignedInApp {
  app: FastifyInstance;
  control: ControlPlane;
  /** Team ids by the names given. */
  teams: Record<string, string>;
  /** A caller signed in as each person (session and CSRF cookies, and the CSRF header). */
  as: Record<string, Caller>;
  userIds: Record<string, string>;
  /** A caller sending an API key. */
  withKey(key: string): Caller;
  /** The keys the app holds, as the control plane has them at the last `reloadKeys()`. */
  principals(): Principal[];
  reloadKeys(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Teams (by name) with people in them, signed in; `seed` adds rows in the
 * same transaction. Keys created later are known after `reloadKeys()`, as a
 * process knows them after its next poll.
 */
export async function signedInApp(
  people: readonly (readonly [email: string, team: string, role: Role])[],
  seed?: (tx: ControlSql, teams: Record<string, string>) => Promise<void>,
): Promise<SignedInApp> {
  const control = await openTestControl();
  const teams: Record<string, string> = {};
  const userIds: Record<string, string> = {};
  const sessions = await control.db.transaction(async (tx) => {
    for (const team of new Set(people.map(([, team]) => team))) teams[team] = (await createTeam(tx, { name: team }, system)).id;
    await seed?.(tx, teams);
    const out: Record<string, { token: string; csrf: string }> = {};
    for (const [email, team, role] of people) {
      const { user } = await ensureUser(tx, email);
      userIds[email] = user.id;
      await setTeamRole(tx, teams[team]!, user.id, role, system);
      out[email] = await createSession(tx, user.id, {});
    }
    return out;
  });
  let principals: Principal[] = [];
  const { app, keys } = await testApp({ principals: () => principals, api: { warehouse: unused, control }, sessions: control });
  const as: Record<string, Caller> = {};
  for (const [email, { token, csrf }] of Object.entries(sessions)) {
    as[email] = (method, url, payload) =>
      app.inject({ method, url, headers: { cookie: `strix_session=${token}; strix_csrf=${csrf}`, 'x-strix-csrf': csrf }, ...(payload && { payload }) });
  }
  return {
    app,
    control,
    teams,
    as,
    userIds,
    withKey: (key) => (method, url, payload) => app.inject({ method, url, headers: { authorization: `Bearer ${key}` }, ...(payload && { payload }) }),
    principals: () => principals,
    async reloadKeys() {
      principals = await control.principals();
      await keys.refresh();
    },
    async close() {
      await app.close();
      await control.close();
    },
  };
}
