import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Session } from 'chdb';
import { OutputFormats, WarehouseError, type InsertOptions, type OutputFormat, type QueryParams } from '@strix/contracts';
import { openChdbSession } from './chdb-engine.ts';
import { quoteString, settingsClause } from './chdb-sql.ts';
import { RowBinaryInserts, insertSettings, jsonInsertSettings, quoteIdentifier, type RowBinaryTransport, type RowBinaryWarehouse } from './row-binary-inserts.ts';

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

/** The table's columns changed since they were described: an unknown column, or a header type the table refuses. */
function isStaleSchema(error: unknown): boolean {
  const e = error as ChdbError;
  return e.clickhouseCode === 16 || (e.clickhouseCode === 117 && /while reading header/.test(e.message ?? ''));
}

/**
 * Payloads left by a process killed mid-insert: never needed again, as the log
 * holds every row until it is stored. Those of live processes stay.
 */
function removeDeadPayloads(dir: string): void {
  for (const name of readdirSync(dir)) {
    const pid = Number(name.split('-')[0]);
    if (Number.isSafeInteger(pid) && pid > 0 && isAlive(pid)) continue;
    rmSync(join(dir, name), { force: true, recursive: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The embedded warehouse: the ClickHouse engine in-process through chDB. Every
 * call runs off the event loop (chDB's async API) so ingest never waits on SQL.
 * chDB allows one connection per data path per process, hence one instance.
 */
export class ChdbWarehouse implements RowBinaryWarehouse {
  private readonly session: Session;
  readonly rowTransport: RowBinaryTransport;
  /** Settles when the stream being read (if any) has ended: streams take turns (`stream`). */
  private streaming: Promise<void> = Promise.resolve();
  private readonly inserts: RowBinaryInserts;
  /** Where RowBinary payloads wait for the engine to read them (chDB takes binary input only from a file). */
  private readonly payloadDir: string;
  /** `<pid>-<random>-`: this instance's payload names, apart from any other's on the data path. */
  private readonly payloadPrefix = `${process.pid}-${randomBytes(4).toString('hex')}-`;
  private payloads = 0;

  constructor(dataPath: string) {
    this.session = openChdbSession(dataPath);
    this.payloadDir = join(dataPath, 'strix-inserts');
    mkdirSync(this.payloadDir, { recursive: true, mode: 0o700 });
    removeDeadPayloads(this.payloadDir);
    this.rowTransport = {
      query: (sql, params) => this.query(sql, params),
      sendEncoded: (table, columns, body, format, options) => this.sendEncoded(table, columns, body, format, options),
      sendJson: (table, rows, options) => this.sendJson(table, rows, options),
      isStaleSchema,
      wrap,
      onWarning: (message) => console.warn(`[strix] warehouse: ${message}`),
    };
    this.inserts = new RowBinaryInserts(this.rowTransport);
  }

  /** Rows go as RowBinary, read by the engine without parsing text (see RowBinaryInserts). */
  async insert(table: string, rows: readonly object[], options?: InsertOptions): Promise<void> {
    await this.inserts.insert(table, rows, options);
  }

  private async sendEncoded(table: string, columns: readonly string[], body: Buffer, format: string, options?: InsertOptions): Promise<void> {
    const file = join(this.payloadDir, `${this.payloadPrefix}${this.payloads++}.bin`);
    try {
      await writeFile(file, body, { mode: 0o600 });
      // Settings must follow FROM INFILE: chDB's parser refuses them before it.
      await this.session.queryAsync(
        `INSERT INTO ${table} (${columns.map(quoteIdentifier).join(', ')}) FROM INFILE ${quoteString(file)}${settingsClause(insertSettings(options))} FORMAT ${format}`,
        { format: 'Null' },
      );
    } finally {
      await rm(file, { force: true });
    }
  }

  private async sendJson(table: string, rows: readonly object[], options?: InsertOptions): Promise<void> {
    const values = Buffer.from(rows.map((r) => JSON.stringify(r)).join('\n'));
    await this.session.insert({ table, values, format: 'JSONEachRow', settings: jsonInsertSettings(options) });
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

  /**
   * The session streams one result at a time: a second stream asked for while
   * one is read waits for it to end (or be cancelled) instead of failing.
   */
  async *stream(sql: string, params: QueryParams, format: OutputFormat): AsyncGenerator<Uint8Array> {
    // Only a name of the allowlist is ever passed to the engine as a format.
    if (!OutputFormats.includes(format)) throw new WarehouseError(`unknown output format ${String(format)}`, false);
    const previous = this.streaming;
    let release = () => {};
    this.streaming = new Promise<void>((resolve) => (release = resolve));
    try {
      await previous;
      for await (const chunk of this.session.queryStreamBind(sql, params, { format })) yield chunk.raw();
    } catch (error) {
      throw wrap(error, 'query failed');
    } finally {
      release();
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
