import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { ClickHouseError, createClient, type ClickHouseClient, type ClickHouseSettings } from '@clickhouse/client';
import { OutputFormats, WarehouseError, type InsertOptions, type OutputFormat, type QueryParams, type Warehouse } from '@strix/contracts';
import { RowBinaryTableEncoder, RowBinaryValueError, rowColumns } from './row-binary.ts';

export interface ClickHouseWarehouseConfig {
  readonly url: string;
  readonly username?: string;
  readonly password?: string;
  readonly database?: string;
  /** Path under the URL where the HTTP interface lives (e.g. `/clickhouse` on Strix's own endpoint). */
  readonly pathname?: string;
  readonly requestTimeoutMs?: number;
  /** Operator-facing notices (a table inserted as JSONEachRow because of a type RowBinary cannot write). */
  readonly onWarning?: (message: string) => void;
}

/** ClickHouse error codes worth a retry: timeouts, memory pressure, too many parts, network, readonly replica. */
const retryableCodes = new Set([159, 160, 202, 209, 210, 241, 242, 252, 285, 319, 425, 999, 1002]);
/** Socket-level failures: the request may not have reached the server, or its answer was lost. */
const retryableNetworkCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_SOCKET']);

/**
 * The table's columns no longer match the cached description (a migration ran):
 * NO_SUCH_COLUMN_IN_TABLE, or the server refusing the header's types. Both are
 * raised before any row is read, so the insert can be sent again.
 */
function isStaleSchema(error: unknown): boolean {
  if (!(error instanceof ClickHouseError)) return false;
  return error.code === '16' || (error.code === '117' && /while reading header/.test(error.message));
}

/** Column names a ClickHouse statement accepts whatever they contain. */
function quoteIdentifier(name: string): string {
  return `\`${name.replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``;
}

function wrap(error: unknown, what: string): WarehouseError {
  if (error instanceof ClickHouseError) {
    const code = Number(error.code);
    // The server's message names the failing expression or setting; it never echoes inserted rows.
    const message = `${what}: ${error.message.split('\n')[0] ?? ''}`;
    return new WarehouseError(message, retryableCodes.has(code), Number.isNaN(code) ? undefined : code);
  }
  const e = error as { code?: string; message?: string };
  const timeout = /timeout/i.test(e.message ?? '');
  const network = timeout || (e.code !== undefined && retryableNetworkCodes.has(e.code));
  return new WarehouseError(`${what}: ${network ? (timeout ? 'request timed out' : `network error ${e.code}`) : (e.message ?? String(error)).split('\n')[0]}`, network);
}

/**
 * The distributed warehouse: a ClickHouse server over its HTTP interface.
 * Same SQL as the embedded adapter; inserts carry the same settings so a retried
 * batch (same dedup token) is dropped by the table and its materialized views.
 */
export class ClickHouseWarehouse implements Warehouse {
  private readonly client: ClickHouseClient;
  private readonly onWarning: (message: string) => void;
  /** Per table, described once: a Promise so concurrent first inserts share one lookup. */
  private readonly encoders = new Map<string, Promise<RowBinaryTableEncoder>>();
  private readonly warnedTables = new Set<string>();

  constructor(config: ClickHouseWarehouseConfig) {
    this.onWarning = config.onWarning ?? ((message) => console.warn(`[strix] warehouse: ${message}`));
    this.client = createClient({
      url: config.url,
      username: config.username ?? 'default',
      password: config.password ?? '',
      database: config.database ?? 'default',
      ...(config.pathname ? { pathname: config.pathname } : {}),
      request_timeout: config.requestTimeoutMs ?? 30_000,
    });
  }

  private static insertSettings(options?: InsertOptions): ClickHouseSettings {
    return {
      // Without this a retried block is dropped from the table but still counted by its views.
      deduplicate_blocks_in_dependent_materialized_views: 1,
      ...(options?.dedupToken ? { insert_deduplication_token: options.dedupToken } : {}),
    };
  }

  private static jsonInsertSettings(options?: InsertOptions): ClickHouseSettings {
    return { date_time_input_format: 'best_effort', ...ClickHouseWarehouse.insertSettings(options) };
  }

  /** Rows go as RowBinary (about twice the throughput of JSONEachRow); JSONEachRow only for types the encoder lacks. */
  async insert(table: string, rows: readonly object[], options?: InsertOptions): Promise<void> {
    if (rows.length === 0) return;
    try {
      const columns = rowColumns(rows);
      // A second attempt re-describes the table: a value the cached type refuses, or a header
      // the server refuses, may mean a migration changed the column since it was described.
      for (let attempt = 0; ; attempt++) {
        const encoder = await this.encoderFor(table, columns, attempt > 0);
        const unsupported = encoder.unsupported(columns);
        if (unsupported.length > 0) return await this.insertJson(table, rows, unsupported, options);
        try {
          return await this.sendEncoded(table, columns, encoder.encode(columns, rows), encoder.format, options);
        } catch (error) {
          if (attempt > 0 || !(isStaleSchema(error) || error instanceof RowBinaryValueError)) throw error;
        }
      }
    } catch (error) {
      // The encoder refused a row's value before anything was sent: a content error, reported
      // with TYPE_MISMATCH, the code the server gives the same refusal (see isContentError).
      if (error instanceof RowBinaryValueError) throw new WarehouseError(`insert into ${table} failed: ${error.message}`, false, 53);
      throw error instanceof WarehouseError ? error : wrap(error, `insert into ${table} failed`);
    }
  }

  private async sendEncoded(table: string, columns: readonly string[], body: Buffer, format: string, options?: InsertOptions): Promise<void> {
    const result = await this.client.exec({
      query: `INSERT INTO ${table} (${columns.map(quoteIdentifier).join(', ')}) FORMAT ${format}`,
      values: Readable.from([body], { objectMode: false }),
      clickhouse_settings: ClickHouseWarehouse.insertSettings(options),
    });
    result.stream.resume();
    await finished(result.stream);
  }

  private async insertJson(table: string, rows: readonly object[], unsupported: readonly string[], options?: InsertOptions): Promise<void> {
    if (!this.warnedTables.has(table)) {
      this.warnedTables.add(table);
      this.onWarning(`inserting into ${table} as JSONEachRow: ${unsupported.join('; ')}`);
    }
    await this.client.insert({ table, values: rows, format: 'JSONEachRow', clickhouse_settings: ClickHouseWarehouse.jsonInsertSettings(options) });
  }

  /**
   * The table's encoder, described again when asked to or when a row names a
   * column it does not know (a migration since the last look).
   */
  private async encoderFor(table: string, columns: readonly string[], refresh = false): Promise<RowBinaryTableEncoder> {
    const cached = refresh ? undefined : this.encoders.get(table);
    const encoder = await (cached ?? this.describe(table));
    if (cached && encoder.unknown(columns).length > 0) return this.encoderFor(table, columns, true);
    const unknown = encoder.unknown(columns);
    if (unknown.length > 0) {
      throw new WarehouseError(`insert into ${table} failed: no insertable column ${unknown.map((c) => `'${c}'`).join(', ')} in ${table}`, false, 16);
    }
    return encoder;
  }

  private describe(table: string): Promise<RowBinaryTableEncoder> {
    const dot = table.indexOf('.');
    const described = this.query<{ name: string; type: string; default_kind: string; server_tz: string }>(
      `SELECT name, type, default_kind, timezone() AS server_tz FROM system.columns
       WHERE database = ${dot < 0 ? 'currentDatabase()' : '{db:String}'} AND table = {table:String} ORDER BY position`,
      dot < 0 ? { table } : { db: table.slice(0, dot), table: table.slice(dot + 1) },
    ).then((columns) => {
      if (columns.length === 0) throw new WarehouseError(`insert into ${table} failed: table ${table} does not exist`, false, 60);
      // MATERIALIZED and ALIAS columns are computed by the server and refuse inserted values.
      const insertable = columns.filter((c) => c.default_kind !== 'MATERIALIZED' && c.default_kind !== 'ALIAS');
      return new RowBinaryTableEncoder(insertable, columns[0]?.server_tz ?? 'UTC');
    });
    this.encoders.set(table, described);
    // A failed lookup is not cached: the next insert asks again.
    void described.catch(() => {
      if (this.encoders.get(table) === described) this.encoders.delete(table);
    });
    return described;
  }

  async query<Row>(sql: string, params: QueryParams = {}): Promise<Row[]> {
    try {
      const result = await this.client.query({ query: sql, query_params: params, format: 'JSONEachRow' });
      return await result.json<Row>();
    } catch (error) {
      throw wrap(error, 'query failed');
    }
  }

  async *stream(sql: string, params: QueryParams, format: OutputFormat): AsyncGenerator<Uint8Array> {
    // Only a name of the allowlist is ever appended as the FORMAT clause.
    if (!OutputFormats.includes(format)) throw new WarehouseError(`unknown output format ${String(format)}`, false);
    let body: Readable;
    try {
      body = (await this.client.exec({ query: `${sql}\nFORMAT ${format}`, query_params: params })).stream;
    } catch (error) {
      throw wrap(error, 'query failed');
    }
    try {
      for await (const chunk of body) yield chunk as Uint8Array;
    } finally {
      body.destroy();
    }
  }

  async command(sql: string, params: QueryParams = {}): Promise<void> {
    try {
      await this.client.command({ query: sql, query_params: params });
    } catch (error) {
      throw wrap(error, 'command failed');
    }
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
