import type { ChdbSql } from '@strix/warehouse/chdb-sql';
import { quoteString, settingsClause, type BoundParam, type Settings } from '@strix/warehouse/chdb-sql';
import { ClickHouseHttpError } from './errors.ts';

/** What one analyst query may cost; every one is enforced by the engine, per query. */
export interface AnalystLimits {
  readonly maxExecutionSeconds: number;
  readonly maxMemoryBytes: number;
  readonly maxResultRows: number;
  readonly maxResultBytes: number;
}

export const defaultAnalystLimits: AnalystLimits = {
  maxExecutionSeconds: 30,
  maxMemoryBytes: 1_000_000_000,
  maxResultRows: 1_000_000,
  maxResultBytes: 200_000_000,
};

export interface AnalystGuardOptions {
  readonly limits?: Partial<AnalystLimits>;
  /** Tables of the Strix database an analyst never sees, even filtered (key hashes). */
  readonly hiddenTables?: readonly string[];
  /** How long the catalogue (tables with project_id, function names) is reused. */
  readonly catalogTtlMs?: number;
}

/** Harmless system tables; `tables`, `columns` and `databases` are filtered to the Strix database. */
const allowedSystemTables = new Set([
  'one', 'numbers', 'numbers_mt', 'zeros', 'zeros_mt', 'tables', 'columns', 'databases', 'functions',
  'data_type_families', 'table_engines', 'time_zones', 'collations', 'keywords', 'formats',
]);
/** Table functions that generate data and touch nothing else. */
const allowedTableFunctions = new Set(['numbers', 'numbers_mt', 'zeros', 'zeros_mt', 'generate_series', 'generateseries', 'values']);
/** Scalar functions that read files, tables around the row filters, or server state. */
const deniedFunctions = /^(file|joinget|joingetornull|catboostevaluate|modelevaluate|getserversetting|getmergetreesetting|filesystem\w*|dict\w*)$/;
const allowedStatements = new Set(['SelectWithUnionQuery', 'SelectIntersectExceptQuery', 'DescribeQuery', 'ShowTables', 'ExistsTableQuery']);
/** Output settings a tool may choose; anything else could loosen a limit or reach outside. */
const allowedUserSetting = /^(output_format_\w+|format_csv_\w+|format_tsv_\w+|date_time_output_format|extremes|readonly)$/;
const limitSettings: Record<string, keyof AnalystLimits> = {
  max_execution_time: 'maxExecutionSeconds',
  max_memory_usage: 'maxMemoryBytes',
  max_result_rows: 'maxResultRows',
  max_result_bytes: 'maxResultBytes',
};

interface Catalog {
  readonly database: string;
  readonly databases: ReadonlySet<string>;
  readonly tableFunctions: ReadonlySet<string>;
  readonly functions: ReadonlySet<string>;
  readonly scopedTables: readonly string[];
  readonly loadedAt: number;
}

export interface GuardedQuery {
  /** The statement to run: normalised by the engine's own formatter, limits and row filters appended. */
  readonly sql: string;
  /** The statement's FORMAT clause, which overrides `default_format`. */
  readonly format?: string;
}

const denied = (message: string) => ClickHouseHttpError.of('ACCESS_DENIED', `${message} (analyst keys are read-only and scoped to their project)`);

/**
 * Turns an analyst's SQL into a statement that can only read its own project.
 * The engine parses the query (formatQuerySingleLine refuses multi-statements,
 * EXPLAIN AST exposes every table, function and SETTINGS clause, including those
 * in subqueries); readonly=1 and the limits ride in the outermost SETTINGS, and
 * `additional_table_filters` adds `project_id = <key's project>` to every read of
 * every table, view and materialized view with that column, which ClickHouse
 * applies inside subqueries, joins, IN, CTEs, views and FINAL. A SETTINGS clause
 * anywhere in the user's query is refused: one in a subquery would override them.
 */
export class AnalystGuard {
  private catalog: Catalog | undefined;
  private readonly limits: AnalystLimits;
  private readonly hidden: ReadonlySet<string>;

  constructor(
    private readonly engine: ChdbSql,
    private readonly options: AnalystGuardOptions = {},
  ) {
    this.limits = { ...defaultAnalystLimits, ...options.limits };
    // Key hashes, and the team's addresses and who was mailed what: not analytics.
    this.hidden = new Set(options.hiddenTables ?? ['api_keys', 'project_members', 'issue_digest_cursors', 'issue_digests']);
  }

  async prepare(sql: string, params: Record<string, BoundParam>, projectId: string, userSettings: Record<string, string>): Promise<GuardedQuery> {
    const catalog = await this.loadCatalog();
    const [formatted] = await this.engine.rows<{ q: string }>('SELECT formatQuerySingleLine({q:String}) AS q', { q: sql });
    let canonical = formatted?.q ?? '';
    // EXPLAIN AST prints names raw; a line break in one could forge AST lines.
    if (/`[^`]*\\[nr]/.test(canonical)) throw denied('Identifiers containing line breaks are not allowed');
    const format = / FORMAT ([A-Za-z]\w*)$/.exec(canonical)?.[1];
    if (format) canonical = canonical.slice(0, -` FORMAT ${format}`.length);
    const { bytes } = await this.engine.run(`EXPLAIN AST ${canonical}`, { format: 'TabSeparatedRaw', params });
    this.check(Buffer.from(bytes).toString('utf8').split('\n').filter((l) => l.length > 0), catalog);
    return { sql: canonical + this.settingsFor(projectId, userSettings, catalog), ...(format ? { format } : {}) };
  }

  private check(lines: string[], catalog: Catalog): void {
    const root = /^(\w+)/.exec(lines[0] ?? '')?.[1] ?? '';
    if (!allowedStatements.has(root)) throw ClickHouseHttpError.of('READONLY', `Cannot execute query in readonly mode: ${root || 'this statement'} is not a SELECT, DESCRIBE, SHOW TABLES or EXISTS`);
    lines.forEach((line, i) => {
      // Every node but the root is indented; an unindented line is an identifier with a line break in it.
      const depth = line.length - line.trimStart().length;
      if (i > 0 && depth === 0) throw denied('Identifiers containing line breaks are not allowed');
      const [kind = '', ...rest] = line.trim().split(' ');
      const name = rest.join(' ').replace(/ \((alias [^)]*|children \d+)\)/g, '').trim();
      if (kind === 'Set') throw ClickHouseHttpError.of('READONLY', 'Cannot modify settings in readonly mode: SETTINGS clauses are not allowed; the server fixes limits for analyst keys');
      if (depth === 1 && root === 'SelectWithUnionQuery' && kind !== 'ExpressionList') throw denied('INTO OUTFILE is not allowed');
      if (kind === 'Function') this.checkFunction(name.toLowerCase(), /^\s*TableExpression\b/.test(lines[i - 1] ?? ''), catalog);
      if (kind === 'TableIdentifier') this.checkTable(name, true, catalog);
      if (kind === 'Identifier') this.checkTable(name, false, catalog);
    });
  }

  private checkFunction(name: string, inFrom: boolean, catalog: Catalog): void {
    const isTableFunction = catalog.tableFunctions.has(name);
    if (isTableFunction && (inFrom || !catalog.functions.has(name)) && !allowedTableFunctions.has(name)) {
      throw denied(`Table function ${name} is not allowed`);
    }
    if (!inFrom && deniedFunctions.test(name)) throw denied(`Function ${name} is not allowed`);
  }

  /** `name` is `table`, `db.table` or, for a plain identifier, maybe `alias.column`. */
  private checkTable(name: string, isTable: boolean, catalog: Catalog): void {
    const parts = name.split('.');
    for (const part of parts) if (this.hidden.has(part)) throw denied(`Table ${part} is not readable`);
    if (parts.length < 2) return;
    const db = parts[0] ?? '';
    const lower = db.toLowerCase();
    if (lower === 'system') {
      if (!allowedSystemTables.has(parts[1] ?? '')) throw denied(`Table ${name} is not readable`);
    } else if (lower === 'information_schema') {
      throw denied('information_schema is not readable; use system.tables and system.columns');
    } else if (db !== catalog.database && (isTable || catalog.databases.has(db))) {
      throw denied(`Database ${db} is not readable`);
    }
  }

  private settingsFor(projectId: string, user: Record<string, string>, catalog: Catalog): string {
    const settings: Settings = {};
    const limits = { ...this.limits };
    for (const [name, value] of Object.entries(user)) {
      const limit = limitSettings[name];
      if (limit) limits[limit] = Math.min(limits[limit], Number(value) > 0 ? Number(value) : limits[limit]);
      else if (name === 'readonly' && value !== '0') continue;
      else if (allowedUserSetting.test(name) && name !== 'readonly') settings[name] = value;
      else throw ClickHouseHttpError.of('READONLY', `Cannot modify '${name}' setting in readonly mode`);
    }
    Object.assign(settings, {
      max_execution_time: limits.maxExecutionSeconds,
      timeout_overflow_mode: 'throw',
      max_memory_usage: limits.maxMemoryBytes,
      max_result_rows: limits.maxResultRows,
      max_result_bytes: limits.maxResultBytes,
      result_overflow_mode: 'throw',
      readonly: 1,
    });
    const project = `project_id = ${quoteString(projectId)}`;
    const db = quoteString(catalog.database);
    const hidden = [...this.hidden].map(quoteString).join(', ') || "''";
    const filters: [string, string][] = [
      ...catalog.scopedTables.map((t): [string, string] => [t, project]),
      ['system.tables', `database = ${db} AND name NOT IN (${hidden})`],
      ['system.columns', `database = ${db} AND table NOT IN (${hidden})`],
      ['system.databases', `name = ${db}`],
    ];
    const map = filters.map(([t, f]) => `${quoteString(t)}: ${quoteString(f)}`).join(', ');
    return `${settingsClause(settings)}, additional_table_filters = {${map}}`;
  }

  private async loadCatalog(): Promise<Catalog> {
    const ttl = this.options.catalogTtlMs ?? 5_000;
    if (this.catalog && Date.now() - this.catalog.loadedAt < ttl) return this.catalog;
    const names = async (sql: string) => new Set((await this.engine.rows<{ name: string }>(sql)).map((r) => r.name));
    const [current] = await this.engine.rows<{ db: string }>('SELECT currentDatabase() AS db');
    this.catalog = {
      database: current?.db ?? 'default',
      databases: await names('SELECT name FROM system.databases'),
      tableFunctions: await names('SELECT lower(name) AS name FROM system.table_functions'),
      functions: await names('SELECT DISTINCT lower(name) AS name FROM system.functions'),
      // Views and materialized views are listed too: a filter on a view's source
      // does not reach rows read through the materialized view's own name.
      scopedTables: [...(await names("SELECT DISTINCT c.table AS name FROM system.columns AS c WHERE c.database = currentDatabase() AND c.name = 'project_id'"))],
      loadedAt: Date.now(),
    };
    return this.catalog;
  }
}
