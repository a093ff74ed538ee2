import type { DirectoryProject, Principal, ProjectDirectory, SessionUser } from '@strix/contracts';
import { currentRevision, systemActor } from './audit.ts';
import type { ControlDb } from './db.ts';
import { SavedFunnels } from './funnels.ts';
import { IssueStates } from './issue-state.ts';
import { JobRuns } from './job-runs.ts';
import { loadPrincipals } from './keys.ts';
import { migrateControl } from './migrate.ts';
import { getProject, listLiveProjects, purgeDeletedProjects } from './projects.ts';
import { listDigestRecipients } from './recipients.ts';
import { resolveSession } from './sessions.ts';

/**
 * The control plane's store, migrated, with what the other roles read from it:
 * the keys every process authenticates with, the revision they poll, and the
 * project directory the jobs use. Changes go through the functions of
 * `projects.ts`, `keys.ts`… in `db.transaction`.
 */
export class ControlPlane implements ProjectDirectory {
  private constructor(readonly db: ControlDb) {}

  /** Opens `db`'s schema, applying the migrations it lacks. */
  static async open(db: ControlDb): Promise<ControlPlane> {
    await migrateControl(db);
    return new ControlPlane(db);
  }

  revision(): Promise<number> {
    return currentRevision(this.db);
  }

  principals(): Promise<Principal[]> {
    return loadPrincipals(this.db);
  }

  async listProjects(): Promise<DirectoryProject[]> {
    return (await listLiveProjects(this.db)).map((p) => ({
      project_id: p.id,
      name: p.name,
      retention_days: p.retention_events_days,
      retention_funnels_days: p.retention_funnels_days,
      retention_metrics_days: p.retention_metrics_days,
      issue_alert_frequency: p.issue_alert_frequency,
    }));
  }

  /** Projects' saved funnels (the analytics layer's `SavedFunnelStore`). */
  funnels(): SavedFunnels {
    return new SavedFunnels(this.db);
  }

  /** Projects' issue state: status, comments, merges (the issues layer's `IssueStateStore`). */
  issueState(): IssueStates {
    return new IssueStates(this.db);
  }

  /** Runs of background jobs (`JobRunStore`). */
  jobRuns(): JobRuns {
    return new JobRuns(this.db);
  }

  digestRecipients(projectId: string) {
    return listDigestRecipients(this.db, projectId);
  }

  async appNames(projectId: string): Promise<Map<string, string>> {
    const rows = await this.db.query<{ id: string; name: string }>('SELECT id, name FROM apps WHERE project_id = $1', [projectId]);
    return new Map(rows.map((r) => [r.id, r.name]));
  }

  purgeDeletedProjects(asOf: number, purgeData: (projectId: string) => Promise<void>): Promise<string[]> {
    return purgeDeletedProjects(this.db, asOf, systemActor('project purge job'), purgeData);
  }

  /** What the HTTP layer asks about session cookies (`SessionAuth` of `@strix/http`). */
  sessionAuth() {
    return {
      /** The signed-in user of a session's token (its expiry slid), or undefined. */
      user: (token: string): Promise<SessionUser | undefined> => resolveSession(this.db, token),
      /** A live project's team and events retention. */
      project: async (projectId: string): Promise<{ teamId: string; retentionDays: number } | undefined> => {
        const project = await getProject(this.db, projectId);
        return project && { teamId: project.team_id, retentionDays: project.retention_events_days };
      },
    };
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
