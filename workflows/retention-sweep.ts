import type { DirectoryProject, ProjectDirectory, Warehouse } from '@strix/contracts';
import { deleteRowsBefore, type RetentionKind } from '@strix/warehouse';

const DAY_MS = 86_400_000;

export interface RetentionSweepSummary {
  /** Rows deleted per project (every kind together); projects with nothing to delete are left out. */
  deleted: Record<string, number>;
  /** Rows deleted per data kind, over every project. */
  deletedByKind: Record<RetentionKind, number>;
  rowsDeleted: number;
  projectsChecked: number;
  /** The instant the cutoffs were computed from (epoch ms). */
  asOf: number;
  // A JSON object for the run's summary.
  [key: string]: unknown;
}

const retentionDays = (project: DirectoryProject): Record<RetentionKind, number> => ({
  events: project.retention_days,
  funnels: project.retention_funnels_days,
  metrics: project.retention_metrics_days,
});

/**
 * Deletes each project's rows older than its *current* retention of their
 * kind (events, funnels, metrics: `retentionKinds`). TTLs use the retention
 * carried on each row at insert, or a table's fixed one, so after a project's
 * retention is shortened its older rows would otherwise stay until then.
 * A re-run with nothing to delete issues no DELETE at all.
 */
export async function sweepExpiredRows(
  wh: Warehouse,
  directory: ProjectDirectory,
  asOf: number,
  options: { projectId?: string | null; progress?: (checked: number, of: number) => Promise<void> } = {},
): Promise<RetentionSweepSummary> {
  const summary: RetentionSweepSummary = { deleted: {}, deletedByKind: { events: 0, funnels: 0, metrics: 0 }, rowsDeleted: 0, projectsChecked: 0, asOf };
  const projects = (await directory.listProjects()).filter((p) => options.projectId == null || p.project_id === options.projectId);
  for (const project of projects) {
    await options.progress?.(summary.projectsChecked, projects.length);
    summary.projectsChecked += 1;
    for (const [kind, days] of Object.entries(retentionDays(project)) as [RetentionKind, number][]) {
      // 0 would mean "delete everything": treat it as unset, never as a policy.
      if (!(days > 0)) continue;
      const rows = await deleteRowsBefore(wh, kind, project.project_id, asOf - days * DAY_MS);
      if (rows === 0) continue;
      summary.deleted[project.project_id] = (summary.deleted[project.project_id] ?? 0) + rows;
      summary.deletedByKind[kind] += rows;
      summary.rowsDeleted += rows;
    }
  }
  return summary;
}
