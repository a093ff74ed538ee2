import type { FastifyRequest } from 'fastify';
import { roleRank, type Role } from '@strix/contracts';
import { getProject, type ProjectRow } from '@strix/control';
import { ApiError } from '@strix/http';

/**
 * The signed-in user's role in a team, when it is at least `min`. A team the
 * user is not in answers as a team that does not exist (no inference of
 * another team's ids); a lower role gets a 403 naming both roles.
 */
export function requireTeamRole(request: FastifyRequest, teamId: string, min: Role): Role {
  const role = request.user?.teams.get(teamId);
  if (!role) throw new ApiError('not_found', `team ${teamId} does not exist`);
  if (roleRank[role] < roleRank[min]) throw new ApiError('forbidden', `this needs the ${min} role in team ${teamId}; yours is ${role}`);
  return role;
}

/** A live project of a team the signed-in user has at least `min` in; others answer 404 as missing ones do. */
export async function requireProjectRole(request: FastifyRequest, projectId: string, min: Role): Promise<{ project: ProjectRow; role: Role }> {
  const project = await getProject(request.server.control.db, projectId);
  const role = project && request.user?.teams.get(project.team_id);
  if (!project || !role) throw new ApiError('not_found', `project ${projectId} does not exist`);
  if (roleRank[role] < roleRank[min]) throw new ApiError('forbidden', `this needs the ${min} role in the project's team; yours is ${role}`);
  return { project, role };
}
