import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Session, RawInsertFormat } from 'chdb';
import { openChdbSession, type SessionSettings } from './chdb-engine.ts';

export type SettingValue = string | number | boolean;
export type Settings = Record<string, SettingValue>;
/** A parameter value as JS: chDB's binder escapes strings and writes arrays as literals. */
export type BoundParam = string | number | bigint | boolean | readonly (string | number | bigint)[];

export interface RunOptions {
  /** Output format when the statement has no FORMAT clause of its own. */
  readonly format: string;
  /** Values for `{name:Type}` placeholders, bound by the engine. */
  readonly params?: Record<string, BoundParam>;
  /** Per-query settings, appended as a SETTINGS clause: never SET, which would outlive the query in a shared session. */
  readonly settings?: Settings;
}

export interface RunResult {
  readonly bytes: Uint8Array;
  readonly rowsRead: number;
  readonly bytesRead: number;
  readonly elapsedSeconds: number;
}

export interface RawInsert {
  readonly table: string;
  readonly columns?: readonly string[];
  readonly format: string;
  readonly data: Buffer;
  readonly settings?: Settings;
}

export interface InsertResult {
  readonly rowsWritten: number;
  readonly bytesWritten: number;
  readonly elapsedSeconds: number;
}

/** An engine error with ClickHouse's code; the message is the engine's own `Code: N. DB::Exception: …` text. */
export class ChdbSqlError extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
    this.name = 'ChdbSqlError';
  }
}

/** ClickHouse string literal: backslash and quote escaped. */
export function quoteString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

const settingName = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** ` SETTINGS a = 1, b = 'x'`, or '' when there are none. Names are checked, values quoted. */
export function settingsClause(settings: Settings | undefined): string {
  const entries = Object.entries(settings ?? {});
  if (entries.length === 0) return '';
  const parts = entries.map(([name, value]) => {
    if (!settingName.test(name)) throw new ChdbSqlError(`Code: 115. DB::Exception: Unknown setting '${name}'. (UNKNOWN_SETTING)`, 115);
    const literal = typeof value === 'string' ? quoteString(value) : typeof value === 'boolean' ? (value ? '1' : '0') : String(value);
    return `${name} = ${literal}`;
  });
  return ` SETTINGS ${parts.join(', ')}`;
}

/** Text formats chDB's zero-copy raw insert takes; anything else goes through a file (see `insert`). */
const rawInsertFormats = new Set<string>([
  'JSONEachRow', 'JSONCompactEachRow', 'CSV', 'CSVWithNames', 'TSV', 'TabSeparated', 'TSVWithNames', 'TabSeparatedWithNames',
]);

const identifierPath = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/;

function asSqlError(error: unknown): ChdbSqlError {
  if (error instanceof ChdbSqlError) return error;
  const e = error as { message?: string; clickhouseCode?: number };
  const message = e.message ?? String(error);
  const code = e.clickhouseCode ?? Number(/^Code: (\d+)\./.exec(message)?.[1] ?? 1001);
  return new ChdbSqlError(message, code);
}

/**
 * Raw SQL on a chDB session with the knobs the ClickHouse HTTP interface has:
 * output format, bound parameters, per-query settings and raw-format inserts.
 * The typed `Warehouse` port stays in `ChdbWarehouse`; this is for callers that
 * must hand the engine's bytes through untouched (the ClickHouse-HTTP endpoint).
 * chDB accepts several sessions on one data path in a process, so this may own
 * its own session beside ChdbWarehouse's.
 */
export class ChdbSql {
  constructor(private readonly session: Session) {}

  /** A session of Strix's own: every project's rows, any statement. */
  static open(dataPath: string): ChdbSql {
    return new ChdbSql(openChdbSession(dataPath));
  }

  /**
   * A session whose settings are fixed when it opens (`readonly=1` among them
   * makes the engine refuse any later change), for one analyst query.
   */
  static openFixed(dataPath: string, settings: SessionSettings): ChdbSql {
    return new ChdbSql(openChdbSession(dataPath, settings));
  }

  async run(sql: string, options: RunOptions): Promise<RunResult> {
    const text = sql + settingsClause(options.settings);
    try {
      const params = options.params ?? {};
      const result = Object.keys(params).length > 0
        ? await this.session.queryBindAsync(text, params, { format: options.format })
        : await this.session.queryAsync(text, { format: options.format });
      return { bytes: result.bytes(), rowsRead: result.rowsRead, bytesRead: result.bytesRead, elapsedSeconds: result.elapsed };
    } catch (error) {
      throw asSqlError(error);
    }
  }

  /**
   * The result in chunks as the engine produces them, so a large answer never
   * sits whole in memory; the next chunk is computed only when asked for. An
   * abort ends the stream at the next chunk boundary.
   */
  async *stream(sql: string, options: RunOptions & { readonly signal?: AbortSignal }): AsyncGenerator<Uint8Array> {
    const text = sql + settingsClause(options.settings);
    const params = options.params ?? {};
    const opts = { format: options.format, ...(options.signal ? { signal: options.signal } : {}) };
    try {
      const stream = Object.keys(params).length > 0 ? this.session.queryStreamBind(text, params, opts) : this.session.queryStream(text, opts);
      for await (const chunk of stream) yield chunk.raw();
    } catch (error) {
      throw asSqlError(error);
    }
  }

  /** Rows of a JSONEachRow result, for the endpoint's own catalogue lookups. */
  async rows<Row>(sql: string, params?: Record<string, BoundParam>): Promise<Row[]> {
    const { bytes } = await this.run(sql, { format: 'JSONEachRow', params });
    return Buffer.from(bytes)
      .toString('utf8')
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as Row);
  }

  /**
   * Inserts a payload in any input format chDB knows. Text formats go to the
   * engine zero-copy; binary ones (RowBinary, Native, Arrow, Parquet, …) cannot
   * ride inside SQL text, so they are written to a private temp file and read
   * with `FROM INFILE`, which is what clickhouse-local offers for them.
   */
  async insert(insert: RawInsert): Promise<InsertResult> {
    if (!identifierPath.test(insert.table)) {
      throw new ChdbSqlError(`Code: 62. DB::Exception: Invalid table name ${JSON.stringify(insert.table)}. (SYNTAX_ERROR)`, 62);
    }
    if (!settingName.test(insert.format)) {
      throw new ChdbSqlError(`Code: 73. DB::Exception: Unknown format ${JSON.stringify(insert.format)}. (UNKNOWN_FORMAT)`, 73);
    }
    for (const c of insert.columns ?? []) {
      if (!settingName.test(c)) throw new ChdbSqlError(`Code: 62. DB::Exception: Invalid column name ${JSON.stringify(c)}. (SYNTAX_ERROR)`, 62);
    }
    if (insert.data.length === 0) return { rowsWritten: 0, bytesWritten: 0, elapsedSeconds: 0 };
    try {
      if (rawInsertFormats.has(insert.format)) {
        const summary = await this.session.insert({
          table: insert.table,
          values: insert.data,
          format: insert.format as RawInsertFormat,
          ...(insert.columns?.length ? { columns: insert.columns } : {}),
          ...(insert.settings ? { settings: insert.settings } : {}),
        });
        return { rowsWritten: summary.rowsWritten, bytesWritten: summary.bytesWritten, elapsedSeconds: summary.elapsed };
      }
      return await this.insertFromFile(insert);
    } catch (error) {
      throw asSqlError(error);
    }
  }

  private async insertFromFile(insert: RawInsert): Promise<InsertResult> {
    const dir = await mkdtemp(join(tmpdir(), 'strix-insert-'));
    try {
      const file = join(dir, 'payload');
      await writeFile(file, insert.data, { mode: 0o600 });
      const columns = insert.columns?.length ? ` (${insert.columns.join(', ')})` : '';
      // Settings must follow FROM INFILE: chDB's parser refuses them before it.
      const sql = `INSERT INTO ${insert.table}${columns} FROM INFILE ${quoteString(file)}${settingsClause(insert.settings)} FORMAT ${insert.format}`;
      const result = await this.session.queryAsync(sql, { format: 'Null' });
      return { rowsWritten: result.rowsRead, bytesWritten: insert.data.length, elapsedSeconds: result.elapsed };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  close(): void {
    this.session.close();
  }
}
