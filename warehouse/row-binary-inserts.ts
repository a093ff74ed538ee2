import { WarehouseError, type InsertOptions, type QueryParams, type Warehouse } from '@strix/contracts';
import { RowBinaryTableEncoder, RowBinaryValueError, rowGroups, type RowGroup } from './row-binary.ts';

/** What an adapter lends the inserter: its query, its two ways of sending rows, and how it reads its engine's errors. */
export interface RowBinaryTransport {
  query<Row>(sql: string, params: QueryParams): Promise<Row[]>;
  /** Sends `body` (RowBinaryWithNamesAndTypes of `columns`) into `table`. */
  sendEncoded(table: string, columns: readonly string[], body: Buffer, format: string, options?: InsertOptions): Promise<void>;
  /** The fallback for a table with a type the encoder cannot write. */
  sendJson(table: string, rows: readonly object[], options?: InsertOptions): Promise<void>;
  /**
   * The table's columns no longer match the cached description (a migration
   * ran): raised by the engine before any row is read, so the insert can be
   * sent again after describing the table anew.
   */
  isStaleSchema(error: unknown): boolean;
  /** The engine's error as a WarehouseError (retryable or not). */
  wrap(error: unknown, what: string): WarehouseError;
  /** Operator-facing notices (a table inserted as JSONEachRow). */
  onWarning(message: string): void;
}

/** A warehouse that lends its transport, so rows encoded elsewhere (the pipeline's thread) go out the way its own inserts do. */
export interface RowBinaryWarehouse extends Warehouse {
  readonly rowTransport: RowBinaryTransport;
}

/**
 * Inserts rows (JS objects; see rowGroups for rows of different keys) as RowBinary, driven by the
 * column types the table reports: the engine reads them without parsing text,
 * about twice the throughput of JSONEachRow on either adapter
 * (bench/clickhouse-insert-formats.ts, bench/view-costs.ts). JSONEachRow only
 * for tables with a type the encoder lacks.
 *
 * A value the encoder refuses (out of its column's range, not in its enum) is a
 * content error (TYPE_MISMATCH, as the engine reports the same refusal), raised
 * before anything is sent. Strings are written as UTF-8, so a lone surrogate
 * arrives as U+FFFD rather than being refused.
 */
export class RowBinaryInserts {
  /** Per table, described once: a Promise so concurrent first inserts share one lookup. */
  private readonly encoders = new Map<string, Promise<RowBinaryTableEncoder>>();
  private readonly warnedTables = new Set<string>();

  constructor(private readonly transport: RowBinaryTransport) {}

  async insert(table: string, rows: readonly object[], options?: InsertOptions): Promise<void> {
    if (rows.length === 0) return;
    const groups = rowGroups(rows);
    try {
      // Rows of different keys go as one insert per set of keys, each under its own token (the same
      // ones on a retry of the same rows). Every group is encoded before any is sent, so a value
      // the encoder refuses leaves nothing written.
      const encoded = await Promise.all(groups.map((group) => this.encode(table, group)));
      for (const [i, { group, body, format }] of encoded.entries()) {
        const tokened = options?.dedupToken && groups.length > 1 ? { ...options, dedupToken: `${options.dedupToken}/keys:${i}` } : options;
        await this.send(table, group, body, format, tokened);
      }
    } catch (error) {
      // The encoder refused a row's value before anything was sent: a content error, reported
      // with TYPE_MISMATCH, the code the engine gives the same refusal (see isContentError).
      if (error instanceof RowBinaryValueError) throw new WarehouseError(`insert into ${table} failed: ${error.message}`, false, 53);
      throw error instanceof WarehouseError ? error : this.transport.wrap(error, `insert into ${table} failed`);
    }
  }

  /** The group as RowBinary, or no body when the table has a type the encoder lacks (sent as JSONEachRow). */
  private async encode(table: string, group: RowGroup): Promise<{ group: RowGroup; body?: Buffer; format: string }> {
    for (let attempt = 0; ; attempt++) {
      // A second attempt re-describes the table: a value the cached type refuses may
      // mean a migration changed the column since it was described.
      const encoder = await this.encoderFor(table, group.columns, attempt > 0);
      const unsupported = encoder.unsupported(group.columns);
      if (unsupported.length > 0) {
        this.warnJson(table, unsupported);
        return { group, format: 'JSONEachRow' };
      }
      try {
        return { group, body: encoder.encode(group.columns, group.rows), format: encoder.format };
      } catch (error) {
        if (attempt > 0 || !(error instanceof RowBinaryValueError)) throw error;
      }
    }
  }

  private async send(table: string, group: RowGroup, body: Buffer | undefined, format: string, options?: InsertOptions): Promise<void> {
    const t = this.transport;
    if (!body) return t.sendJson(table, group.rows, options);
    try {
      await t.sendEncoded(table, group.columns, body, format, options);
    } catch (error) {
      // A header the engine refuses: the table changed since it was described. Once more, anew.
      if (!t.isStaleSchema(error)) throw error;
      const again = await this.encoderFor(table, group.columns, true);
      if (again.unsupported(group.columns).length > 0) return t.sendJson(table, group.rows, options);
      await t.sendEncoded(table, group.columns, again.encode(group.columns, group.rows), again.format, options);
    }
  }

  private warnJson(table: string, unsupported: readonly string[]): void {
    if (this.warnedTables.has(table)) return;
    this.warnedTables.add(table);
    this.transport.onWarning(`inserting into ${table} as JSONEachRow: ${unsupported.join('; ')}`);
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
    const described = this.transport
      .query<{ name: string; type: string; default_kind: string; server_tz: string }>(
        `SELECT name, type, default_kind, timezone() AS server_tz FROM system.columns
         WHERE database = ${dot < 0 ? 'currentDatabase()' : '{db:String}'} AND table = {table:String} ORDER BY position`,
        dot < 0 ? { table } : { db: table.slice(0, dot), table: table.slice(dot + 1) },
      )
      .then((columns) => {
        if (columns.length === 0) throw new WarehouseError(`insert into ${table} failed: table ${table} does not exist`, false, 60);
        // MATERIALIZED and ALIAS columns are computed by the engine and refuse inserted values.
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
}

/** What every insert carries, on either adapter, so a retried batch (same token) is dropped by the table and its views. */
export function insertSettings(options?: InsertOptions): { deduplicate_blocks_in_dependent_materialized_views: 1; insert_deduplication_token?: string } {
  return {
    // Without this a retried block is dropped from the table but still counted by its views.
    deduplicate_blocks_in_dependent_materialized_views: 1,
    ...(options?.dedupToken ? { insert_deduplication_token: options.dedupToken } : {}),
  };
}

/** The settings of a JSONEachRow insert: those of every insert, and times as the rows write them. */
export function jsonInsertSettings(options?: InsertOptions): ReturnType<typeof insertSettings> & { date_time_input_format: 'best_effort' } {
  return { date_time_input_format: 'best_effort', ...insertSettings(options) };
}

/** Column names a ClickHouse statement accepts whatever they contain. */
export function quoteIdentifier(name: string): string {
  return `\`${name.replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``;
}
