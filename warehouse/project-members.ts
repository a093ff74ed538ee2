import { z } from 'zod';
import type { Warehouse } from '@strix/contracts';
import { queryRows } from './query-rows.ts';
import { nextVersion } from './row-version.ts';

/** A project's team member, who gets its issue digests while not removed (times in epoch ms). */
export const ProjectMemberRow = z.object({
  project_id: z.string(),
  /** Lower-case; the edge normalises it, so one person is one row. */
  email: z.string(),
  name: z.string(),
  removed: z.boolean(),
  created_at: z.number().int(),
});
export type ProjectMemberRow = z.infer<typeof ProjectMemberRow>;

const StoredMember = z
  .object({
    project_id: z.string(),
    email: z.string(),
    name: z.string(),
    removed: z.boolean(),
    created_ms: z.coerce.number(),
  })
  .transform(({ created_ms, ...rest }) => ({ ...rest, created_at: created_ms }));

const columns = 'project_id, email, name, removed, toUnixTimestamp64Milli(created_at) AS created_ms';

async function writeMember(wh: Warehouse, row: ProjectMemberRow): Promise<void> {
  await wh.insert('project_members', [{ ...ProjectMemberRow.parse(row), version: nextVersion() }]);
}

/** The member row, removed or not; undefined if the address was never on the team. */
export async function getProjectMember(wh: Warehouse, projectId: string, email: string): Promise<ProjectMemberRow | undefined> {
  const rows = await queryRows(
    wh,
    'project members',
    StoredMember,
    `SELECT ${columns} FROM project_members FINAL WHERE project_id = {project:String} AND email = {email:String}`,
    { project: projectId, email },
  );
  return rows[0];
}

/** Current members (removed ones left out), by email. */
export async function listProjectMembers(wh: Warehouse, projectId: string): Promise<ProjectMemberRow[]> {
  const rows = await queryRows(
    wh,
    'project members',
    StoredMember,
    `SELECT ${columns} FROM project_members FINAL WHERE project_id = {project:String} AND NOT removed ORDER BY email`,
    { project: projectId },
  );
  return rows;
}

/**
 * Adds a member, idempotently: an existing member keeps its created_at (and is
 * only rewritten when a new name is given); a new or previously removed one
 * starts at `now`, so its first digest covers nothing from before it joined.
 */
export async function addProjectMember(
  wh: Warehouse,
  member: { project_id: string; email: string; name?: string },
  now: number = Date.now(),
): Promise<{ member: ProjectMemberRow; created: boolean }> {
  const existing = await getProjectMember(wh, member.project_id, member.email);
  if (existing && !existing.removed) {
    if (member.name === undefined || member.name === existing.name) return { member: existing, created: false };
    const renamed = { ...existing, name: member.name };
    await writeMember(wh, renamed);
    return { member: renamed, created: false };
  }
  const row: ProjectMemberRow = {
    project_id: member.project_id,
    email: member.email,
    name: member.name ?? existing?.name ?? '',
    removed: false,
    created_at: now,
  };
  await writeMember(wh, row);
  return { member: row, created: true };
}

/** Removes a member; false when the address is not a current member. */
export async function removeProjectMember(wh: Warehouse, projectId: string, email: string): Promise<boolean> {
  const existing = await getProjectMember(wh, projectId, email);
  if (!existing || existing.removed) return false;
  await writeMember(wh, { ...existing, removed: true });
  return true;
}
