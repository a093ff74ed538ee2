import type { Session } from 'chdb';
import { OutputFormats, WarehouseError, type InsertOptions, type OutputFormat, type QueryParams, type Warehouse } from '@strix/contracts';
import { openChdbSession } from './chdb-engine.ts';

interface ChdbError extends Error {
  clickhouseCode?: number;
}

/** ClickHouse error codes worth a retry: timeouts, memory pressure, too many parts. */
const retryableCodes = new Set([159, 160, 241, 252, 202]);

function wrap(error: unknown, what: string): WarehouseError {
  const e = error as ChdbError;
  const code = e.clickhouseCode;
  // The engine's message names the failing expression, never row data we sent.
  const message = `${what}: ${(e.message ?? String(error)).split('\n')[0]}`;
  return new WarehouseError(message, code === undefined || retryableCodes.has(code), code);
}

/**
 * The embedded warehouse: the ClickHouse engine in-process through chDB. Every
 * call runs off the event loop (chDB's async API) so ingest never waits on SQL.
 * chDB allows one connection per data path per process, hence one instance.
 */
export class ChdbWarehouse implements Warehouse {
  private readonly session: Session;

  constructor(dataPath: string) {
    this.session = openChdbSession(dataPath);
  }

  async insert(table: string, rows: readonly object[], options?: InsertOptions): Promise<void> {
    if (rows.length === 0) return;
    const payload = Buffer.from(rows.map((r) => JSON.stringify(r)).join('\n'));
    const settings: Record<string, string | number> = {
      date_time_input_format: 'best_effort',
      // Without this a retried block is dropped from the table but still counted by its views.
      deduplicate_blocks_in_dependent_materialized_views: 1,
    };
    if (options?.dedupToken) settings.insert_deduplication_token = options.dedupToken;
    try {
      await this.session.insert({ table, values: payload, format: 'JSONEachRow', settings });
    } catch (error) {
      throw wrap(error, `insert into ${table} failed`);
    }
  }

  async query<Row>(sql: string, params: QueryParams = {}): Promise<Row[]> {
    try {
      const result = await this.session.queryBindAsync(sql, params, { format: 'JSONEachRow' });
      const text = result.text();
      if (text.length === 0) return [];
      return text
        .split('\n')
        .filter((line) => line.length > 0)
        .map((line) => JSON.parse(line) as Row);
    } catch (error) {
      throw wrap(error, 'query failed');
    }
  }

  async *stream(sql: string, params: QueryParams, format: OutputFormat): AsyncGenerator<Uint8Array> {
    // Only a name of the allowlist is ever passed to the engine as a format.
    if (!OutputFormats.includes(format)) throw new WarehouseError(`unknown output format ${String(format)}`, false);
    try {
      for await (const chunk of this.session.queryStreamBind(sql, params, { format })) yield chunk.raw();
    } catch (error) {
      throw wrap(error, 'query failed');
    }
  }

  async command(sql: string, params: QueryParams = {}): Promise<void> {
    try {
      await this.session.queryBindAsync(sql, params, { format: 'Null' });
    } catch (error) {
      throw wrap(error, 'command failed');
    }
  }

  close(): Promise<void> {
    this.session.close();
    return Promise.resolve();
  }
}
