// The isolation matrix's rules: who may call what, and what each caller must get, restated from http/app.ts,
// session-auth.ts and the routes. The table of routes is isolation-routes.ts.
import { roleRank, rolePermissions, type KeyType, type Permission, type Role } from '@strix/contracts';
export type Team = 'A' | 'B';
export type Method = 'GET' | 'HEAD' | 'POST' | 'PATCH' | 'DELETE';
export interface Req {
  method: Method;
  url: string;
  payload?: object | string;
}

/** A caller, as the matrix describes it; the suite turns it into headers. */
export type Cred =
  | { kind: 'none' }
  /** An Authorization header that is not a live key (malformed, or a key Strix never issued). */
  | { kind: 'header'; header: string }
  | { kind: 'key'; team: Team; type: KeyType; permissions: readonly string[]; state: 'live' | 'revoked' | 'expired' }
  /** `project`: the x-strix-project header a session sends on a project's routes. */
  | { kind: 'session'; team: Team; role: Role; state: 'live' | 'signed out' | 'expired' | 'forged'; csrf: boolean; project: Team };

/** A status, a 2xx carrying that team's data, or a public route's answer (the same for every caller). */
export type Expect = number | { ok: Team } | 'public';

/** The resources a request may name: team A's, team B's, or ghosts' (ids that exist nowhere). */
export interface Ids {
  team: string;
  project: string;
  deletedProject: string;
  app: string;
  /** An agent key's id. */
  key: string;
  funnel: string;
  issue: string;
  issue2: string;
  fingerprint: string;
  comment: string;
  /** A bystander admin's user id. */
  member: string;
  /** A digest recipient's address. */
  recipient: string;
  invitation: string;
  inviteToken: string;
  /** The owner's session id. */
  session: string;
  endUser: string;
  metric: string;
  /** A stored event's id (its client_event_id). */
  event: string;
  /** A run of a project job. */
  jobRun: string;
  /** An uploaded attachment of the team's app. */
  attachment: string;
  /** An attachment reserved and not uploaded yet. */
  reservation: string;
}

/** Throwaway resources of team A, so an allowed caller's change leaves A's fixtures for the other routes. */
export interface Scratch {
  project(): Promise<string>;
  deletedProject(): Promise<string>;
  app(): Promise<string>;
  key(): Promise<string>;
  invitation(): Promise<string>;
  member(): Promise<string>;
  recipient(): Promise<string>;
  /** A pending run of a project job, for a cancel to end. */
  pendingJobRun(): Promise<string>;
  /** Links the team's project to RevenueCat again (after a caller unlinked it). */
  revenueCatLink(): Promise<void>;
  /** An attachment reserved (and, when `upload`, uploaded) by the team's client key. */
  attachment(upload: boolean): Promise<string>;
  funnel(): Promise<string>;
  issue(): string;
  /** A comment on team A's issue. */
  comment(): Promise<string>;
  /** An issue holding a second fingerprint, which unmerge splits off. */
  merged(): Promise<{ issue: string; fingerprint: string }>;
  /** Another session of the caller's own user. */
  session(cred: Cred): Promise<string>;
}

export type Access =
  /** `capability`: the URL holds a secret token; whoever has it may read what it opens. */
  | { kind: 'public'; capability?: true }
  | { kind: 'clickhouse' }
  /** The edge: a key of this type writes to its own project and app. */
  | { kind: 'edge'; keyType: 'client' | 'import' }
  | { kind: 'agent'; permission: Permission }
  /** A signed-in person with at least `role` in the team of what the request names. */
  | { kind: 'user'; role: Role }
  | { kind: 'me' }
  | { kind: 'audit' };

export interface RouteCase {
  /** `METHOD path` as registered. */
  route: string;
  access: Access;
  /** Names team A's resources: team B's callers get 404, exactly as for ids that do not exist. */
  names?: true;
  request: (ids: Ids) => Req;
  /** The ids an allowed caller of team A changes instead of A's fixtures. */
  scratch?: (make: Scratch, cred: Cred) => Promise<Partial<Ids>>;
  /** Team B's own container naming team A's resource: 404 for B's callers. */
  mixed?: (a: Ids, b: Ids) => Req;
  /** What a 2xx answer of `team`'s caller must hold. */
  check?: (json: Record<string, unknown>, team: Team, ids: Ids) => void;
  /** A answer of team A's allowed callers must show A's data (so B's answers would show it if they leaked). */
  reveals?: true;
  /** Signs sessions out: everyone is signed in again after the route. */
  endsSessions?: true;
  expect?: (cred: Cred, base: Expect) => Expect;
}

const safe = new Set<Method>(['GET', 'HEAD']);

/** What `cred` must get from `rc` with `method`: the rules of http/app.ts, session-auth.ts and the routes, restated. */
export function expected(rc: RouteCase, cred: Cred, method: Method): Expect {
  const base = baseExpect(rc, cred, method);
  return rc.expect ? rc.expect(cred, base) : base;
}

function baseExpect(rc: RouteCase, cred: Cred, method: Method): Expect {
  const a = rc.access;
  const live = cred.kind !== 'none' && cred.kind !== 'header' && cred.state === 'live';
  const own = (team: Team): Expect => (team === 'A' ? { ok: 'A' } : rc.names ? 404 : { ok: 'B' });
  const csrfMissing = cred.kind === 'session' && !cred.csrf && !safe.has(method);
  switch (a.kind) {
    case 'public':
      return 'public';
    case 'clickhouse':
      return cred.kind === 'key' && live && cred.type === 'agent' && cred.permissions.includes('events:read') ? { ok: cred.team } : 401;
    case 'edge':
      if (cred.kind !== 'key' || !live) return 401;
      return cred.type === a.keyType ? { ok: cred.team } : 403;
    case 'agent':
      if (cred.kind === 'none' || cred.kind === 'header' || !live) return 401;
      if (cred.kind === 'key') return cred.type === 'agent' && cred.permissions.includes(a.permission) ? own(cred.team) : 403;
      if (csrfMissing) return 403;
      if (cred.team !== cred.project) return 404;
      return rolePermissions[cred.role].includes(a.permission) ? own(cred.team) : 403;
    case 'user':
      if (cred.kind === 'none') return 401;
      if (cred.kind !== 'session') return 403;
      if (!live) return 401;
      if (csrfMissing) return 403;
      if (cred.team === 'B') return own('B');
      return roleRank[cred.role] >= roleRank[a.role] ? { ok: 'A' } : 403;
    case 'me':
      return live ? { ok: (cred as { team: Team }).team } : 401;
    case 'audit':
      if (cred.kind === 'none' || cred.kind === 'header' || !live) return 401;
      if (cred.kind === 'key' && (cred.type !== 'agent' || !cred.permissions.includes('audit_logs:read'))) return 403;
      if (cred.team === 'B') return 404;
      return cred.kind === 'session' && roleRank[cred.role] < roleRank.admin ? 403 : { ok: 'A' };
    default: {
      const never: never = a;
      throw new Error(`unknown access ${JSON.stringify(never)}`);
    }
  }
}
