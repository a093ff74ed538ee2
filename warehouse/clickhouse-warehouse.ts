import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { ClickHouseError, createClient, type ClickHouseClient } from '@clickhouse/client';
import { OutputFormats, WarehouseError, type InsertOptions, type OutputFormat, type QueryParams } from '@strix/contracts';
import { RowBinaryInserts, insertSettings, jsonInsertSettings, quoteIdentifier, type RowBinaryTransport, type RowBinaryWarehouse } from './row-binary-inserts.ts';

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
export class ClickHouseWarehouse implements RowBinaryWarehouse {
  private readonly client: ClickHouseClient;
  readonly rowTransport: RowBinaryTransport;
  private readonly inserts: RowBinaryInserts;

  constructor(config: ClickHouseWarehouseConfig) {
    this.client = createClient({
      url: config.url,
      username: config.username ?? 'default',
      password: config.password ?? '',
      database: config.database ?? 'default',
      ...(config.pathname ? { pathname: config.pathname } : {}),
      request_timeout: config.requestTimeoutMs ?? 30_000,
    });
    this.rowTransport = {
      query: (sql, params) => this.query(sql, params),
      sendEncoded: (table, columns, body, format, options) => this.sendEncoded(table, columns, body, format, options),
      sendJson: (table, rows, options) =>
        this.client.insert({ table, values: rows, format: 'JSONEachRow', clickhouse_settings: jsonInsertSettings(options) }).then(() => undefined),
      isStaleSchema,
      wrap,
      onWarning: config.onWarning ?? ((message) => console.warn(`[strix] warehouse: ${message}`)),
    };
    this.inserts = new RowBinaryInserts(this.rowTransport);
  }

  /** Rows go as RowBinary (see RowBinaryInserts); JSONEachRow only for types the encoder lacks. */
  async insert(table: string, rows: readonly object[], options?: InsertOptions): Promise<void> {
    await this.inserts.insert(table, rows, options);
  }

  private async sendEncoded(table: string, columns: readonly string[], body: Buffer, format: string, options?: InsertOptions): Promise<void> {
    const result = await this.client.exec({
      query: `INSERT INTO ${table} (${columns.map(quoteIdentifier).join(', ')}) FORMAT ${format}`,
      values: Readable.from([body], { objectMode: false }),
      clickhouse_settings: insertSettings(options),
    });
    result.stream.resume();
    await finished(result.stream);
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
