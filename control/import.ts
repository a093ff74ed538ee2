import { randomUUID } from 'node:crypto';
import { platforms, type IssueAlertFrequency, type KeyType, type Platform } from '@strix/contracts';
import { audit, bumpRevision, systemActor } from './audit.ts';
import type { ControlDb } from './db.ts';
import { projectPalette, slugify } from './projects.ts';

/** An install's control data as Strix kept it before the control plane had a store of its own. */
export interface LegacyControlData {
  projects: { project_id: string; name: string; retention_days: number; issue_alert_frequency: IssueAlertFrequency }[];
  apps: { project_id: string; app_id: string; name: string; platform: string }[];
  keys: { key_hash: string; key_prefix: string; key_type: KeyType; project_id: string; app_id: string; permissions: string[]; revoked: boolean }[];
  /** Digest recipients since `created_at` (epoch ms): their digests carry on where they were. */
  members: { project_id: string; email: string; name: string; created_at: number }[];
}

export interface ImportSummary {
  teamId: string;
  projects: number;
  apps: number;
  keys: number;
  recipients: number;
}

/** Old permission names, as today's: a key keeps exactly what it could do. */
const renamedPermissions: Record<string, readonly string[]> = {
  'project:admin': ['projects:read', 'projects:write', 'apps:read', 'apps:write', 'audit_logs:read'],
  'events:read': ['events:read', 'funnels:read', 'metrics:read'],
  // Client keys could always set user properties.
  'events:write': ['events:write', 'users:write'],
};

const importLock = 7_311_203;

/**
 * Imports legacy control data into an empty control plane, in one transaction
 * under a lock, so two roles starting together import once. Projects, apps and
 * keys keep their ids and key hashes: every existing key goes on working.
 * Returns undefined when the control plane already has a team.
 */
export async function importLegacyControlData(db: ControlDb, data: LegacyControlData, teamName = 'Default team'): Promise<ImportSummary | undefined> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [importLock]);
    const [existing] = await tx.query('SELECT id FROM teams LIMIT 1');
    if (existing) return undefined;
    const actor = systemActor('import from the warehouse');
    const teamId = randomUUID();
    await tx.query('INSERT INTO teams (id, name, slug) VALUES ($1, $2, $3)', [teamId, teamName, slugify(teamName)]);
    const slugs = new Set<string>();
    for (const [i, p] of data.projects.entries()) {
      let slug = slugify(p.name);
      for (let n = 2; slugs.has(slug); n++) slug = `${slugify(p.name)}-${n}`;
      slugs.add(slug);
      await tx.query(
        `INSERT INTO projects (id, team_id, name, slug, color, retention_events_days, issue_alert_frequency) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [p.project_id, teamId, p.name, slug, projectPalette[i % projectPalette.length], Math.min(3650, Math.max(1, p.retention_days)), p.issue_alert_frequency],
      );
    }
    const projectIds = new Set(data.projects.map((p) => p.project_id));
    const apps = data.apps.filter((a) => projectIds.has(a.project_id));
    for (const a of apps) {
      // Apps had no bundle id then; a platform Strix does not know becomes web.
      const platform: Platform = (platforms as readonly string[]).includes(a.platform) ? (a.platform as Platform) : 'web';
      await tx.query('INSERT INTO apps (id, project_id, name, platform) VALUES ($1, $2, $3, $4)', [a.app_id, a.project_id, a.name, platform]);
    }
    const appIds = new Set(apps.map((a) => a.app_id));
    let keys = 0;
    for (const k of data.keys) {
      if (!projectIds.has(k.project_id) || (k.key_type !== 'agent' && !appIds.has(k.app_id))) continue;
      const permissions = [...new Set(k.permissions.flatMap((p) => renamedPermissions[p] ?? [p]))].sort();
      await tx.query(
        `INSERT INTO api_keys (id, key_hash, key_prefix, key_type, name, project_id, app_id, permissions, revoked_at)
         VALUES ($1, $2, $3, $4, 'imported', $5, $6, $7, CASE WHEN $8 THEN now() END)
         ON CONFLICT (key_hash) DO NOTHING`,
        [randomUUID(), k.key_hash, k.key_prefix, k.key_type, k.project_id, k.key_type === 'agent' ? null : k.app_id, permissions, k.revoked],
      );
      keys++;
    }
    const members = data.members.filter((m) => projectIds.has(m.project_id));
    for (const m of members) {
      await tx.query('INSERT INTO digest_recipients (project_id, email, name, created_at) VALUES ($1, $2, $3, to_timestamp($4 / 1000.0)) ON CONFLICT DO NOTHING', [
        m.project_id,
        m.email.toLowerCase(),
        m.name,
        m.created_at,
      ]);
    }
    const summary: ImportSummary = { teamId, projects: data.projects.length, apps: apps.length, keys, recipients: members.length };
    await bumpRevision(tx);
    await audit(tx, actor, { teamId, action: 'control.import', targetType: 'team', targetId: teamId, details: { ...summary } });
    return summary;
  });
}
