import type { Warehouse } from '@strix/contracts';
import {
  addProjectMember,
  getProject,
  listProjectMembers,
  removeProjectMember,
  updateProjectSettings,
  type ProjectMemberRow,
  type ProjectRow,
  type ProjectSettings,
} from '@strix/warehouse';

export type { ProjectMemberRow, ProjectRow, ProjectSettings };

export interface ProjectServiceDeps {
  /** Where projects and members are kept today; the control-plane store (PostgreSQL) takes them over. */
  warehouse: Warehouse;
}

/**
 * A project's settings (name, retention, issue alert frequency) and its team:
 * the members who receive issue digests. The control plane of one project, kept
 * apart from the analytics and issues services so it can move to its own store.
 */
export class ProjectService {
  constructor(private readonly deps: ProjectServiceDeps) {}

  /** The project, or undefined when it does not exist. */
  get(projectId: string): Promise<ProjectRow | undefined> {
    return getProject(this.deps.warehouse, projectId);
  }

  /** Applies the settings given; undefined when the project does not exist. */
  updateSettings(projectId: string, settings: ProjectSettings): Promise<ProjectRow | undefined> {
    return updateProjectSettings(this.deps.warehouse, projectId, settings);
  }

  /** Current members, by email. */
  members(projectId: string): Promise<ProjectMemberRow[]> {
    return listProjectMembers(this.deps.warehouse, projectId);
  }

  /** Idempotent: adding a current member again returns it as it is (renamed when a new name is given), `created: false`. */
  addMember(projectId: string, member: { email: string; name?: string }): Promise<{ member: ProjectMemberRow; created: boolean }> {
    return addProjectMember(this.deps.warehouse, { project_id: projectId, ...member });
  }

  /** False when the email is not a member. */
  removeMember(projectId: string, email: string): Promise<boolean> {
    return removeProjectMember(this.deps.warehouse, projectId, email);
  }
}
