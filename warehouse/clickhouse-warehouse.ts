import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { ClickHouseError, createClient, type ClickHouseClient, type ClickHouseSettings } from '@clickhouse/client';
import { WarehouseError, type InsertOptions, type QueryParams, type Warehouse } from '@strix/contracts';

export interface ClickHouseWarehouseConfig {
  readonly url: string;
  readonly username?: string;
  readonly password?: string;
  readonly database?: string;
  /** Path under the URL where the HTTP interface lives (e.g. `/clickhouse` on Strix's own endpoint). */
  readonly pathname?: string;
  readonly requestTimeoutMs?: number;
}

/** ClickHouse error codes worth a retry: timeouts, memory pressure, too many parts, network, readonly replica. */
const retryableCodes = new Set([159, 160, 202, 209, 210, 241, 242, 252, 285, 319, 425, 999, 1002]);
/** Socket-level failures: the request may not have reached the server, or its answer was lost. */
const retryableNetworkCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_SOCKET']);

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

  constructor(config: ClickHouseWarehouseConfig) {
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
      date_time_input_format: 'best_effort',
      // Without this a retried block is dropped from the table but still counted by its views.
      deduplicate_blocks_in_dependent_materialized_views: 1,
      ...(options?.dedupToken ? { insert_deduplication_token: options.dedupToken } : {}),
    };
  }

  async insert(table: string, rows: readonly object[], options?: InsertOptions): Promise<void> {
    if (rows.length === 0) return;
    try {
      await this.client.insert({ table, values: rows, format: 'JSONEachRow', clickhouse_settings: ClickHouseWarehouse.insertSettings(options) });
    } catch (error) {
      throw wrap(error, `insert into ${table} failed`);
    }
  }

  async insertRaw(table: string, jsonEachRow: Buffer, options?: InsertOptions): Promise<void> {
    if (jsonEachRow.length === 0) return;
    try {
      // insert() wants JSON rows as objects; exec() sends the bytes as the body untouched.
      const result = await this.client.exec({
        query: `INSERT INTO ${table} FORMAT JSONEachRow`,
        values: Readable.from([jsonEachRow], { objectMode: false }),
        clickhouse_settings: ClickHouseWarehouse.insertSettings(options),
      });
      result.stream.resume();
      await finished(result.stream);
    } catch (error) {
      throw wrap(error, `insert into ${table} failed`);
    }
  }

  async query<Row>(sql: string, params: QueryParams = {}): Promise<Row[]> {
    try {
      const result = await this.client.query({ query: sql, query_params: params, format: 'JSONEachRow' });
      return await result.json<Row>();
    } catch (error) {
      throw wrap(error, 'query failed');
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
