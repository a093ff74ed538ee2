import type { FastifyInstance } from 'fastify';
import type { BlobStore } from '@strix/contracts';
import type { ControlPlane } from '@strix/control';
import type { KeyRegistry, StrixMetrics } from '@strix/http';
import type { IssueService } from '@strix/issues';
import type { RowBinaryWarehouse } from '@strix/warehouse/row-binary-inserts';
import type { Credentials } from '../bootstrap.ts';
import type { Config } from '../config.ts';
import type { OpenedLog } from '../engines.ts';
import type { ProcessJobs } from '../scheduling.ts';

/** What every role of one process shares: its configuration, store, HTTP app, keys, metrics and (when a role needs one) log. */
export interface RoleContext {
  readonly config: Config;
  readonly warehouse: RowBinaryWarehouse;
  /** The process's HTTP app (`@strix/http`): a role registers the route packages it serves on it. */
  readonly app: FastifyInstance;
  readonly keys: KeyRegistry;
  /** The control plane, in roles that use it (all but process). */
  readonly control: ControlPlane | undefined;
  /** Error tracking over the control plane and the warehouse, one per process (scans and merges of a project take turns through it). */
  readonly issues: IssueService | undefined;
  readonly metrics: StrixMetrics;
  /** The log, for roles that use one (ingest, process); opened once per process. */
  readonly log: OpenedLog | undefined;
  /** Background jobs (runs, triggering, scheduling) in roles with the control plane that serve or run them (api, worker). */
  readonly jobs: ProcessJobs | undefined;
  /** The master key secrets at rest are sealed with and links signed with (`secret-key.ts`). */
  readonly secretKey: Buffer;
  /** Attachments' files (`config.blobDir`), in the roles that take, serve or purge them (api, worker). */
  readonly blobs: BlobStore | undefined;
  /** Records the process role still has to store (0 in a process without it). */
  readonly lag: () => number;
}

/** A started role. */
export interface RunningRole {
  /** Why the role is not ready right now, or undefined. */
  problem?: () => string | undefined;
  /** Records it still has to store (the process role). */
  lag?: () => number;
  /** The default project's keys (the api role bootstraps them). */
  bootstrap?: { credentials: Credentials; created: boolean };
  /** Stops its work; the app is closed before. */
  stop?: () => Promise<void>;
}
