/**
 * The Warehouse port: ClickHouse SQL, whether the engine is chDB in-process or
 * a ClickHouse server. There is one SQL dialect; adapters only move bytes.
 */

export type QueryParams = Record<string, string | number | boolean | readonly string[] | readonly number[]>;

export interface InsertOptions {
  /** Same token, same rows: the engine keeps only the first insert (idempotent retries). */
  readonly dedupToken?: string;
}

/** The engine's output formats an export may ask for (an allowlist: no other name reaches the engine). */
export const OutputFormats = ['CSVWithNames', 'JSONEachRow', 'Arrow', 'Parquet'] as const;
export type OutputFormat = (typeof OutputFormats)[number];

export interface Warehouse {
  /** Inserts row objects (one shape per call); the adapter picks the wire format (JSONEachRow for chDB, RowBinary for a server). */
  insert(table: string, rows: readonly object[], options?: InsertOptions): Promise<void>;
  /** Runs a SELECT with `{name:Type}` placeholders bound server-side; returns the rows. */
  query<Row>(sql: string, params?: QueryParams): Promise<Row[]>;
  /** Runs a statement that returns nothing (DDL, mutations). */
  command(sql: string, params?: QueryParams): Promise<void>;
  /** Runs a SELECT and yields its result in `format` as the engine writes it, chunk by chunk (exports: nothing is parsed, nothing held whole). */
  stream(sql: string, params: QueryParams, format: OutputFormat): AsyncIterable<Uint8Array>;
  close(): Promise<void>;
}

/** Errors carry whether a retry may succeed; row data never goes into the message. */
export class WarehouseError extends Error {
  constructor(
    message: string,
    readonly retry: boolean,
    readonly code?: number,
  ) {
    super(message);
    this.name = 'WarehouseError';
  }
}
