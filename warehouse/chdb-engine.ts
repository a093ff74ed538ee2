import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Session } from 'chdb';

/**
 * Every table, materialized view and view of the Strix database that holds a
 * `project_id` column. Each gets a row policy (below); a migration that adds
 * such a table without listing it here stops the SQL endpoint from starting
 * (`unscopedTables`), so no project's rows are ever readable without one.
 */
export const projectScopedTables = [
  'projects', 'apps', 'api_keys', 'events', 'event_counts_hourly', 'event_counts_hourly_mv',
  'issues', 'issue_stats', 'issue_fingerprints', 'issue_occurrences', 'issue_comments', 'issue_scan_cursors',
  'project_members', 'issue_digest_cursors', 'issue_digests',
  'user_properties', 'user_properties_mv', 'user_property_values', 'user_property_writes', 'user_property_writes_mv',
  'funnel_events', 'funnel_events_mv', 'funnels',
  'metric_rollup_minutes', 'metric_rollup_hours', 'metric_rollup_minutes_mv', 'metric_rollup_hours_mv',
  'audience_daily', 'audience_daily_mv', 'audience_people', 'audience_people_mv', 'audience_screens_daily', 'audience_screens_daily_mv', 'audience_active_days',
  'active_users', 'funnel_conversions', 'issues_summary', 'metric_rollups', 'retention_cohorts',
  'dead_letters',
] as const;

/**
 * What an analyst may read of the Strix database: the scoped tables without
 * secrets or people's addresses, and the documented views. Materialized views
 * are left out: their target tables hold the same rows.
 */
export const analystReadableTables: ReadonlySet<string> = new Set<string>(
  projectScopedTables.filter((t) => !t.endsWith('_mv') && !['api_keys', 'project_members', 'issue_digest_cursors', 'issue_digests', 'issue_scan_cursors', 'dead_letters', 'audience_active_days', 'user_property_writes'].includes(t)),
);

/** The database every Strix session works in. */
export const strixDatabase = 'default';

/**
 * The setting that carries an analyst session's project into the row policies.
 * `log_comment` only annotates the query log, so nothing else reads it; Strix's
 * own sessions leave it empty and see every project (and must never set it).
 * An analyst session is opened with it set and `readonly=1`, so the engine
 * refuses any query that tries to change it.
 */
export const projectScopeSetting = 'log_comment';

/**
 * The row filter the engine applies to every read of a scoped table. Row
 * policies run as their own step before PREWHERE, WHERE and every other
 * expression of a query, so no expression of an analyst's query is ever
 * evaluated on another project's row, whatever the optimizer does with it.
 */
export function projectRowFilter(): string {
  return `getSetting('${projectScopeSetting}') = '' OR project_id = splitByChar(' ', getSetting('${projectScopeSetting}'))[1]`;
}

export interface AnalystScope {
  readonly setting: string;
  /** `<project> <query tag>`: the project for the row policies, the tag to find the query by (to kill it). */
  readonly value: string;
  readonly settings: Readonly<Record<string, string>>;
}

const projectIdPattern = /^[A-Za-z0-9_-]{1,128}$/;

/** The session settings that hold an analyst session to one project. */
export function analystScope(projectId: string, queryTag: string): AnalystScope {
  if (!projectIdPattern.test(projectId)) throw new Error(`project id ${JSON.stringify(projectId)} cannot scope an analyst session`);
  if (!projectIdPattern.test(queryTag)) throw new Error('a query tag is letters, digits, - and _');
  const value = `${projectId} ${queryTag}`;
  return { setting: projectScopeSetting, value, settings: { [projectScopeSetting]: value, readonly: '1' } };
}

const readableList = () => [...analystReadableTables].map((t) => `'${t}'`).join(', ');

/** Analysts see the catalogue of what they may read, and nothing of the rest. */
function systemRowFilters(): Record<string, string> {
  const scoped = `getSetting('${projectScopeSetting}') = ''`;
  return {
    tables: `${scoped} OR (database = '${strixDatabase}' AND name IN (${readableList()}))`,
    columns: `${scoped} OR (database = '${strixDatabase}' AND table IN (${readableList()}))`,
    databases: `${scoped} OR name = '${strixDatabase}'`,
  };
}

const xmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function usersXml(): string {
  const table = (name: string, filter: string) => `<${name}><filter>${xmlEscape(filter)}</filter></${name}>`;
  const strix = projectScopedTables.map((t) => table(t, projectRowFilter())).join('');
  const system = Object.entries(systemRowFilters()).map(([t, f]) => table(t, f)).join('');
  // The engine's own default user, plus row policies; nothing else is granted or taken away.
  return `<clickhouse>
  <profiles><default/></profiles>
  <users><default>
    <password></password><networks><ip>::/0</ip></networks><profile>default</profile><quota>default</quota>
    <named_collection_control>1</named_collection_control>
    <databases><${strixDatabase}>${strix}</${strixDatabase}><system>${system}</system></databases>
  </default></users>
  <quotas><default/></quotas>
</clickhouse>
`;
}

const mib = 1024 * 1024;

/**
 * The engine's caches, in bytes. Its defaults are sized for a server with the
 * machine to itself (a 5 GiB mark cache); embedded, it shares a process with
 * the edge and the pipeline, so each cache is held to what a dashboard's reads
 * over tens of millions of events use. Caches only trade memory for re-reading
 * files the page cache mostly holds anyway.
 */
export const engineCaches = {
  mark_cache_size: 128 * mib,
  index_mark_cache_size: 32 * mib,
  uncompressed_cache_size: 0,
  index_uncompressed_cache_size: 0,
  query_condition_cache_size: 32 * mib,
  primary_index_cache_size: 32 * mib,
  mmap_cache_size: 256,
} as const;

const configured = new Map<string, string[]>();

/**
 * Writes the engine's configuration under the data path and returns the
 * argument that loads it. Path-taking server settings point into an empty
 * directory of their own. Written once per process and data path, so the file
 * always follows the code that runs.
 */
function engineConfigArgs(dataPath: string): string[] {
  const known = configured.get(dataPath);
  if (known && existsSync(join(dataPath, 'strix-engine', 'users.xml'))) return [...known];
  const dir = join(dataPath, 'strix-engine');
  mkdirSync(join(dir, 'format_schemas'), { recursive: true });
  const users = join(dir, 'users.xml');
  writeFileSync(users, usersXml(), { mode: 0o600 });
  const config = join(dir, 'config.xml');
  writeFileSync(
    config,
    `<clickhouse>
  <users_config>${xmlEscape(users)}</users_config>
  <format_schema_path>${xmlEscape(join(dir, 'format_schemas'))}/</format_schema_path>
${Object.entries(engineCaches).map(([name, bytes]) => `  <${name}>${bytes}</${name}>`).join('\n')}
</clickhouse>
`,
    { mode: 0o600 },
  );
  configured.set(dataPath, [`--config-file=${config}`]);
  return [`--config-file=${config}`];
}

export type SessionSettings = Readonly<Record<string, string | number>>;

/**
 * Opens a chDB session on the data path. The first session of a process boots
 * the engine with Strix's configuration (row policies included), so every
 * session on a data path must come through here. `settings` are fixed for the
 * session's lifetime (applied like `SET`, before any query runs); names must
 * be plain setting names, which the engine checks.
 */
export function openChdbSession(dataPath: string, settings: SessionSettings = {}): Session {
  const args = engineConfigArgs(dataPath);
  for (const [name, value] of Object.entries(settings)) {
    if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`invalid setting name ${JSON.stringify(name)}`);
    const text = String(value);
    if (text.includes('\0')) throw new Error(`setting ${name} has a NUL byte`);
    args.push(`--${name}=${text}`);
  }
  return new Session(dataPath, { connectionArgs: args });
}

/**
 * Tables of the Strix database with a `project_id` column but no row policy:
 * must be empty, or analysts could read other projects' rows of them.
 */
export function unscopedTables(tablesWithProjectId: readonly string[]): string[] {
  const scoped = new Set<string>(projectScopedTables);
  return tablesWithProjectId.filter((t) => !scoped.has(t)).sort();
}
