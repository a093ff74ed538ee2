import type { ProjectDirectory, Warehouse } from '@strix/contracts';
import { countEventsBefore, deleteEventsBefore } from '@strix/warehouse';

const DAY_MS = 86_400_000;

export interface RetentionSweepSummary {
  /** Rows deleted per project; projects with nothing to delete are left out. */
  deleted: Record<string, number>;
  rowsDeleted: number;
  projectsChecked: number;
  /** The instant the cutoffs were computed from (epoch ms). */
  asOf: number;
  // A JSON object for the run's summary.
  [key: string]: unknown;
}

/**
 * Deletes events older than their project's *current* retention. The `events`
 * TTL uses the retention carried on each row at insert, so after a project's
 * retention is shortened its older rows would otherwise stay until the old TTL.
 * Only raw events are deleted: hourly rollups keep their counts, as with the TTL.
 *
 * Counting first makes a re-run with nothing to delete issue no DELETE at all
 * (each lightweight DELETE is a mutation, even when it matches nothing).
 */
export async function sweepExpiredEvents(
  wh: Warehouse,
  directory: ProjectDirectory,
  asOf: number,
  options: { projectId?: string | null; progress?: (checked: number, of: number) => Promise<void> } = {},
): Promise<RetentionSweepSummary> {
  const summary: RetentionSweepSummary = { deleted: {}, rowsDeleted: 0, projectsChecked: 0, asOf };
  const projects = (await directory.listProjects()).filter((p) => options.projectId == null || p.project_id === options.projectId);
  for (const project of projects) {
    await options.progress?.(summary.projectsChecked, projects.length);
    summary.projectsChecked += 1;
    // 0 would mean "delete everything": treat it as unset, never as a policy.
    if (project.retention_days <= 0) continue;
    const cutoff = asOf - project.retention_days * DAY_MS;
    const rows = await countEventsBefore(wh, project.project_id, cutoff);
    if (rows === 0) continue;
    await deleteEventsBefore(wh, project.project_id, cutoff);
    summary.deleted[project.project_id] = rows;
    summary.rowsDeleted += rows;
  }
  return summary;
}
