import type { DigestRecipient } from '@strix/contracts';
import type { Actor } from './audit.ts';
import type { ControlPlane } from './control-plane.ts';
import { addDigestRecipient, listDigestRecipients, removeDigestRecipient } from './recipients.ts';
import { getProject, updateProject, type ProjectPatch, type ProjectRow } from './projects.ts';

/**
 * One project's settings and the people who receive its issue digests, as an
 * agent key of that project manages them (`/v1/project`).
 */
export class ProjectService {
  constructor(private readonly control: ControlPlane) {}

  /** The live project, or undefined. */
  get(projectId: string): Promise<ProjectRow | undefined> {
    return getProject(this.control.db, projectId);
  }

  /** Applies the settings given; undefined when the project does not exist. */
  updateSettings(projectId: string, patch: ProjectPatch, actor: Actor): Promise<ProjectRow | undefined> {
    return this.control.db.transaction((tx) => updateProject(tx, projectId, patch, actor));
  }

  /** Current digest recipients, by email. */
  members(projectId: string): Promise<DigestRecipient[]> {
    return listDigestRecipients(this.control.db, projectId);
  }

  /** Idempotent: adding a current recipient again returns it as it is (renamed when a new name is given), `created: false`. */
  async addMember(projectId: string, member: { email: string; name?: string }, actor: Actor): Promise<{ member: DigestRecipient; created: boolean } | undefined> {
    return this.control.db.transaction(async (tx) => {
      const project = await getProject(tx, projectId);
      if (!project) return undefined;
      const { recipient, created } = await addDigestRecipient(tx, project.team_id, projectId, member, actor);
      return { member: recipient, created };
    });
  }

  /** False when the email is not a recipient. */
  removeMember(projectId: string, email: string, actor: Actor): Promise<boolean> {
    return this.control.db.transaction(async (tx) => {
      const project = await getProject(tx, projectId);
      return project ? removeDigestRecipient(tx, project.team_id, projectId, email, actor) : false;
    });
  }
}
