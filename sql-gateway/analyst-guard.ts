import type { BoundParam, ChdbSql } from '@strix/warehouse/chdb-sql';
import { analystReadableTables, strixDatabase } from '@strix/warehouse/chdb-engine';
import { ClickHouseHttpError } from './errors.ts';
import { aggregateCombinators, allowedFunctionNames } from './function-allowlist.ts';

/** What the engine knows, read from a trusted session and reused for a few seconds. */
export interface EngineCatalog {
  /** Every function name, exactly as the engine spells it. */
  readonly functions: ReadonlySet<string>;
  /** Lower-cased names of the functions the engine also finds in any case. */
  readonly caseInsensitive: ReadonlyMap<string, string>;
  readonly aggregates: ReadonlySet<string>;
  /** Every table of the Strix database, readable or not. */
  readonly strixTables: ReadonlySet<string>;
  readonly timeZones: ReadonlySet<string>;
  readonly loadedAt: number;
}

/** System tables an analyst may read, with the columns of each (`*` means all: static engine facts). */
const systemColumns: Readonly<Record<string, readonly string[] | '*'>> = {
  one: '*', numbers: '*', numbers_mt: '*', zeros: '*', zeros_mt: '*',
  functions: '*', data_type_families: '*', table_engines: '*', time_zones: '*', collations: '*', keywords: '*', formats: '*',
  table_functions: '*', aggregate_function_combinators: '*',
  // Row policies keep these to the readable tables; sizes and paths are left out, since they count every project.
  databases: ['name', 'engine', 'comment', 'uuid'],
  tables: ['database', 'name', 'uuid', 'engine', 'is_temporary', 'create_table_query', 'engine_full', 'as_select', 'partition_key', 'sorting_key', 'primary_key', 'sampling_key', 'comment', 'parameterized_view_parameters'],
  columns: ['database', 'table', 'name', 'type', 'position', 'default_kind', 'default_expression', 'comment', 'is_in_partition_key', 'is_in_sorting_key', 'is_in_primary_key', 'is_in_sampling_key', 'compression_codec', 'character_octet_length', 'numeric_precision', 'numeric_precision_radix', 'numeric_scale', 'datetime_precision'],
};
/** Table functions that only generate rows. Parameterized analyst views are called like table functions too. */
const allowedTableFunctions = new Set(['numbers', 'numbers_mt', 'zeros', 'zeros_mt', 'generate_series', 'generateSeries', 'values', 'primes']);
/** Parser forms that appear as functions in the syntax tree without being engine functions. */
const syntaxFunctions = new Set(['lambda', 'exists']);
/** Every kind of syntax-tree node an analyst query may contain; `* APPLY(f)` names a function outside the tree, so its node is not here. */
const allowedNodes = new Set([
  'SelectWithUnionQuery', 'SelectIntersectExceptQuery', 'SelectQuery', 'ExpressionList', 'Identifier', 'Literal', 'Function',
  'Asterisk', 'QualifiedAsterisk', 'ColumnsRegexpMatcher', 'QualifiedColumnsRegexpMatcher', 'ColumnsListMatcher', 'QualifiedColumnsListMatcher',
  'ColumnsTransformerList', 'ColumnsExceptTransformer', 'ColumnsReplaceTransformer', 'ColumnsReplaceTransformer::Replacement',
  'TablesInSelectQuery', 'TablesInSelectQueryElement', 'TableExpression', 'TableIdentifier', 'TableJoin', 'Subquery', 'WithElement',
  'OrderByElement', 'ArrayJoin', 'WindowDefinition', 'WindowListElement', 'SampleRatio', 'InterpolateElement', 'QueryParameter',
  'DescribeQuery', 'ShowTables', 'ExistsTableQuery',
]);

export interface GuardedQuery {
  /** The statement to run, as the engine's formatter wrote it, without its FORMAT clause. */
  readonly sql: string;
  /** The statement's FORMAT clause, which overrides `default_format`. */
  readonly format?: string;
  /** SELECTs stream; SHOW, DESCRIBE and EXISTS answer a few rows at once. */
  readonly streams: boolean;
}

const denied = (message: string) => ClickHouseHttpError.of('ACCESS_DENIED', `${message} (analyst keys are read-only and scoped to their project)`);

/**
 * Decides whether an analyst's SQL may run, by explicit lists: statement kinds,
 * syntax-tree node kinds, functions, tables, system tables and their columns,
 * output formats. The engine parses the query (one statement only) and prints
 * its syntax tree, which is checked before anything is evaluated; a query
 * reading system catalogue tables is also resolved by the analyzer, so `*`
 * cannot reach a column that is not listed.
 *
 * Tenant isolation does not rest here: the session runs with row policies
 * that hold every read to the key's project (see `@strix/warehouse/chdb-engine`).
 */
export class AnalystGuard {
  private catalog: EngineCatalog | undefined;

  constructor(
    private readonly trusted: ChdbSql,
    private readonly catalogTtlMs = 5_000,
  ) {}

  /** Runs the checks on the analyst's own session (`engine`), so nothing they evaluate can see past its policies. */
  async prepare(engine: ChdbSql, sql: string, params: Record<string, BoundParam>): Promise<GuardedQuery> {
    const catalog = await this.engineCatalog();
    const [formatted] = await engine.rows<{ q: string }>('SELECT formatQuerySingleLine({q:String}) AS q', { q: sql });
    let canonical = formatted?.q ?? '';
    // EXPLAIN AST prints names raw; a line break in one could forge AST lines.
    if (/`[^`]*\\[nr]/.test(canonical)) throw denied('Identifiers containing line breaks are not allowed');
    // The formatter quotes names that are keywords: FORMAT `Null`.
    const clause = / FORMAT (`?)([A-Za-z]\w*)\1$/.exec(canonical);
    const format = clause?.[2];
    // Which formats may be used is decided once, for this one and `default_format` alike (AnalystQueries).
    if (clause) canonical = canonical.slice(0, -clause[0].length);
    const { bytes } = await engine.run(`EXPLAIN AST ${canonical}`, { format: 'TabSeparatedRaw', params });
    const lines = Buffer.from(bytes).toString('utf8').split('\n').filter((l) => l.length > 0);
    this.checkTree(lines, canonical, catalog);
    const streams = /^(SELECT|WITH)\b/.test(canonical);
    if (streams) await this.checkResolvedTables(engine, canonical, params, catalog);
    return { sql: canonical, streams, ...(format ? { format } : {}) };
  }

  /**
   * Checks the syntax tree, before anything is evaluated. A plain table name
   * may still be a CTE here; the analyzer's pass (`checkResolvedTables`) sees
   * what every name resolved to.
   */
  private checkTree(lines: string[], canonical: string, catalog: EngineCatalog): void {
    const root = /^(\w+)/.exec(lines[0] ?? '')?.[1] ?? '';
    if (!['SelectWithUnionQuery', 'SelectIntersectExceptQuery', 'DescribeQuery', 'ShowTables', 'ExistsTableQuery'].includes(root)) {
      throw ClickHouseHttpError.of('READONLY', `Cannot execute query in readonly mode: only SELECT, DESCRIBE, SHOW TABLES, SHOW DATABASES and EXISTS are allowed`);
    }
    if (root === 'ShowTables' && !/^SHOW (TABLES|DATABASES)\b/.test(canonical)) throw denied('Only SHOW TABLES and SHOW DATABASES are allowed');
    const cteAllowed = root === 'SelectWithUnionQuery' || root === 'SelectIntersectExceptQuery';
    lines.forEach((line, i) => {
      // Every node but the root is indented; an unindented line is an identifier with a line break in it.
      const depth = line.length - line.trimStart().length;
      if (i > 0 && depth === 0) throw denied('Identifiers containing line breaks are not allowed');
      const [kind = '', ...rest] = line.trim().split(' ');
      const name = rest.join(' ').replace(/ \((alias [^)]*|children \d+)\)/g, '').trim();
      if (kind === 'Set') throw ClickHouseHttpError.of('READONLY', 'Cannot modify settings in readonly mode: SETTINGS clauses are not allowed; the server fixes limits for analyst keys');
      if (!allowedNodes.has(kind)) throw denied(`This SQL construct (${kind}) is not allowed`);
      if (depth === 1 && root === 'SelectWithUnionQuery' && kind !== 'ExpressionList') throw denied('INTO OUTFILE is not allowed');
      if (kind === 'Function') {
        const inFrom = /^\s*TableExpression\b/.test(lines[i - 1] ?? '');
        if (inFrom) this.checkTableFunction(name);
        else this.checkFunction(name, catalog);
      }
      if (kind === 'TableIdentifier' || (kind === 'ExistsTableQuery' && name)) this.checkTableName(name, cteAllowed, catalog);
      if (kind === 'Identifier') this.checkIdentifier(name, catalog);
    });
  }

  private checkTableName(name: string, cteAllowed: boolean, catalog: EngineCatalog): void {
    const plain = /^[A-Za-z_][A-Za-z0-9_]*$/.test(name);
    // A plain name that is not a Strix table can only be a CTE (or nothing): the analyzer's pass decides.
    if (cteAllowed && plain && !catalog.strixTables.has(name)) return;
    if (!plain && !name.includes('.')) throw denied(`Table ${name} is not readable`);
    this.checkTable(name, catalog);
  }

  private checkFunction(name: string, catalog: EngineCatalog): void {
    if (syntaxFunctions.has(name) || this.allowedFunction(name, catalog)) return;
    throw denied(`Function ${name} is not allowed`);
  }

  private allowedFunction(name: string, catalog: EngineCatalog): boolean {
    // The engine looks a name up exactly first; only a name it does not know goes through the case-insensitive table.
    if (catalog.functions.has(name)) return allowedFunctionNames.has(name) || this.combined(name, catalog);
    const canonical = catalog.caseInsensitive.get(name.toLowerCase());
    if (canonical !== undefined) return allowedFunctionNames.has(canonical);
    return this.combined(name, catalog);
  }

  /** `sumIf`, `uniqMergeState`, ...: an allowed aggregate function followed by combinators. */
  private combined(name: string, catalog: EngineCatalog, depth = 0): boolean {
    if (depth > 4) return false;
    for (const suffix of aggregateCombinators) {
      if (!name.endsWith(suffix) || name.length === suffix.length) continue;
      const base = name.slice(0, -suffix.length);
      if (catalog.aggregates.has(base) && allowedFunctionNames.has(base)) return true;
      if (this.combined(base, catalog, depth + 1)) return true;
    }
    return false;
  }

  private checkTableFunction(name: string): void {
    if (allowedTableFunctions.has(name)) return;
    if (analystReadableTables.has(name)) return; // a parameterized view: funnel_conversions(steps = [...], ...)
    throw denied(`Table function ${name} is not allowed`);
  }

  /** `name` is `table` or `db.table`. */
  private checkTable(name: string, catalog: EngineCatalog): void {
    const dot = name.indexOf('.');
    const db = dot < 0 ? strixDatabase : name.slice(0, dot);
    const table = dot < 0 ? name : name.slice(dot + 1);
    if (db === 'system') {
      const columns = systemColumns[table];
      if (!columns) throw denied(`Table system.${table} is not readable`);
      return;
    }
    if (db !== strixDatabase) throw denied(`Database ${db} is not readable`);
    if (!analystReadableTables.has(table)) {
      throw catalog.strixTables.has(table) ? denied(`Table ${table} is not readable`) : ClickHouseHttpError.of('UNKNOWN_TABLE', `Table ${strixDatabase}.${table} does not exist`);
    }
  }

  /** A plain identifier is a column, an alias, or a table (`x IN t`, `db.t`): a table must be readable. */
  private checkIdentifier(name: string, catalog: EngineCatalog): void {
    const parts = name.split('.');
    const [first = '', second] = parts;
    if (catalog.strixTables.has(first) && !analystReadableTables.has(first) && parts.length === 1) throw denied(`Table ${first} is not readable`);
    if (second !== undefined && (first === 'system' || first === strixDatabase || first.toLowerCase() === 'information_schema')) this.checkTable(`${first}.${second}`, catalog);
  }

  /**
   * The analyzer resolves every table name (CTEs included) and every column,
   * `*` included, to where it comes from: each table must be readable, and a
   * column of a system table with limited columns must be listed. It runs
   * after the syntax checks, so whatever it evaluates is allowed.
   */
  private async checkResolvedTables(engine: ChdbSql, canonical: string, params: Record<string, BoundParam>, catalog: EngineCatalog): Promise<void> {
    const { bytes } = await engine.run(`EXPLAIN QUERY TREE ${canonical}`, { format: 'TabSeparatedRaw', params });
    const text = Buffer.from(bytes).toString('utf8');
    const limited = new Map<string, string>();
    for (const m of text.matchAll(/\bTABLE id: (\d+)[^\n]*, table_name: ([^,\n]+)/g)) {
      const name = (m[2] ?? '').trim();
      this.checkTable(name, catalog);
      if (name.startsWith('system.') && systemColumns[name.slice('system.'.length)] !== '*') limited.set(m[1] ?? '', name.slice('system.'.length));
    }
    if (limited.size === 0) return;
    for (const m of text.matchAll(/COLUMN id: \d+, column_name: ([^,\n]+),[^\n]*source_id: (\d+)/g)) {
      const table = limited.get(m[2] ?? '');
      const allowed = table ? systemColumns[table] : undefined;
      if (table && allowed !== '*' && !allowed?.includes(m[1] ?? '')) throw denied(`Column ${m[1]} of system.${table} is not readable`);
    }
  }

  async engineCatalog(): Promise<EngineCatalog> {
    if (this.catalog && Date.now() - this.catalog.loadedAt < this.catalogTtlMs) return this.catalog;
    const functions = await this.trusted.rows<{ name: string; ci: number; agg: number }>(
      'SELECT name, case_insensitive AS ci, is_aggregate AS agg FROM system.functions',
    );
    const tables = await this.trusted.rows<{ name: string }>(`SELECT name FROM system.tables WHERE database = '${strixDatabase}'`);
    const zones = await this.trusted.rows<{ name: string }>('SELECT time_zone AS name FROM system.time_zones');
    this.catalog = {
      functions: new Set(functions.map((f) => f.name)),
      caseInsensitive: new Map(functions.filter((f) => f.ci).map((f) => [f.name.toLowerCase(), f.name])),
      aggregates: new Set(functions.filter((f) => f.agg).map((f) => f.name)),
      strixTables: new Set(tables.map((t) => t.name)),
      timeZones: new Set(zones.map((z) => z.name)),
      loadedAt: Date.now(),
    };
    return this.catalog;
  }
}
