// Control planes for the suites: PGlite in memory (a real PostgreSQL), with teams, projects and apps made as the API makes them.
import { ControlPlane, addDigestRecipient, createApp, createProject, createTeam, openPglite, systemActor, type NewProject } from '@strix/control';
import type { Platform } from '@strix/contracts';

const actor = systemActor('test');

/** A migrated control plane in memory; close it when done. */
export async function openTestControl(): Promise<ControlPlane> {
  return ControlPlane.open(await openPglite());
}

let shared: Promise<ControlPlane> | undefined;

/** One in-memory control plane per test process, for suites that do not look into it (opening one costs seconds). */
export function sharedTestControl(): Promise<ControlPlane> {
  shared ??= openTestControl();
  return shared;
}

export interface SeedProject extends Omit<NewProject, 'id'> {
  id: string;
  apps?: { id: string; name: string; platform?: Platform; bundle_id?: string }[];
  recipients?: { email: string; name?: string; since?: number }[];
}

/** Creates a team holding the given projects (with their apps and digest recipients); returns the team's id. */
export async function seedProjects(control: ControlPlane, ...projects: SeedProject[]): Promise<string> {
  return control.db.transaction(async (tx) => {
    const team = await createTeam(tx, { name: `Team ${projects.map((p) => p.id).join(' ')}` }, actor);
    for (const { apps = [], recipients = [], ...project } of projects) {
      await createProject(tx, team.id, project, actor);
      for (const app of apps) {
        const platform = app.platform ?? 'backend';
        await createApp(tx, project.id, { id: app.id, name: app.name, platform, bundle_id: app.bundle_id ?? (platform === 'backend' ? null : `com.example.${app.id}`) }, actor);
      }
      for (const recipient of recipients) await addDigestRecipient(tx, team.id, project.id, recipient, actor);
    }
    return team.id;
  });
}
