import type { IssueAlertFrequency } from './issues.ts';
import type { IssueStateStore } from './issue-state.ts';
import type { JobRunStore } from './jobs.ts';
import { allowedPermissions, defaultPermissions, type KeyType, type Permission } from './keys.ts';

/** A platform an app is built for; it fixes the `environment` values its events may carry. */
export type Platform = 'apple' | 'android' | 'web' | 'backend';
export const platforms = ['apple', 'android', 'web', 'backend'] as const satisfies readonly Platform[];

/** The environments each platform's events may name (`environment` on an event). */
export const platformEnvironments: Record<Platform, readonly string[]> = {
  apple: ['ios', 'ipados', 'macos', 'watchos'],
  android: ['android'],
  web: ['web'],
  backend: ['backend'],
};

/** A member's role in a team: each manages only lower roles. */
export type Role = 'owner' | 'admin' | 'member';
export const roles = ['owner', 'admin', 'member'] as const satisfies readonly Role[];
export const roleRank: Record<Role, number> = { owner: 3, admin: 2, member: 1 };

/** What a signed-in member may do in their team's projects: members what an agent key does by default, admins and owners everything. */
export const rolePermissions: Record<Role, readonly Permission[]> = {
  owner: allowedPermissions.agent,
  admin: allowedPermissions.agent,
  member: defaultPermissions.agent,
};

/** A signed-in person, as a session cookie resolves. */
export interface SessionUser {
  readonly sessionId: string;
  readonly userId: string;
  readonly email: string;
  readonly name: string;
  /** Their role in each team they belong to. */
  readonly teams: ReadonlyMap<string, Role>;
}

/** Who a key is, as every process holds it in memory to authenticate a request with no I/O. */
export interface Principal {
  readonly keyHash: string;
  /** The key's id in the control plane ('' for keys that have none, as in tests). */
  readonly keyId?: string;
  /** The key's first characters, safe to show (names an agent that has no other name). */
  readonly keyPrefix?: string;
  readonly keyType: KeyType;
  readonly teamId?: string;
  readonly projectId: string;
  /** The app a client or import key belongs to; empty for agent keys (project-wide). */
  readonly appId: string;
  /** The app's platform, for client and import keys. */
  readonly platform?: Platform;
  readonly permissions: readonly string[];
  readonly revoked: boolean;
  /** Epoch ms after which the key stops working (a rotated key's overlap), or null. */
  readonly expiresAt?: number | null;
  /** Days the project keeps events; stamped on every row ingested with the key. */
  readonly retentionDays: number;
  /** Set when a signed-in person (a session, not a key) is acting on the project. */
  readonly user?: { readonly id: string; readonly email: string; readonly sessionId: string; readonly role: Role };
}

/** A live project, as the scheduled jobs read it. */
export interface DirectoryProject {
  readonly project_id: string;
  readonly name: string;
  /** Days events are kept. */
  readonly retention_days: number;
  /** Days funnel steps' rows and metric series are kept. */
  readonly retention_funnels_days: number;
  readonly retention_metrics_days: number;
  readonly issue_alert_frequency: IssueAlertFrequency;
}

/** Someone who receives a project's issue digests, since `created_at` (epoch ms). */
export interface DigestRecipient {
  readonly email: string;
  readonly name: string;
  readonly created_at: number;
}

/**
 * What the jobs (issue scan, digests, retention) need to know about projects,
 * from the control plane that owns them.
 */
export interface ProjectDirectory {
  /** Every project not deleted, by id. */
  listProjects(): Promise<DirectoryProject[]>;
  /** Who gets the project's issue digests, by email. */
  digestRecipients(projectId: string): Promise<DigestRecipient[]>;
  /** The project's apps' names by id (deleted apps included: old issues name them). */
  appNames(projectId: string): Promise<Map<string, string>>;
  /**
   * Removes the projects whose deletion grace ended, each after `purgeData`
   * deleted its data elsewhere; returns their ids.
   */
  purgeDeletedProjects(asOf: number, purgeData: (projectId: string) => Promise<void>): Promise<string[]>;
  /** The issue state people edit (status, comments, merges) of every project. */
  issueState(): IssueStateStore;
  /** Runs of background jobs. */
  jobRuns(): JobRunStore;
}
