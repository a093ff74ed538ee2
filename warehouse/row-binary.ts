/**
 * RowBinary for inserts, driven by the column types the table itself reports,
 * so any table's rows (JS objects, as the JSONEachRow path took them) encode
 * without a per-table writer.
 */
import { RowBinaryValueError, RowBinaryWriter, UnsupportedTypeError, compileType, type ValueEncoder } from './row-binary-types.ts';

export { RowBinaryValueError, RowBinaryWriter, UnsupportedTypeError, compileType, type ValueEncoder } from './row-binary-types.ts';

export interface ColumnSpec {
  readonly name: string;
  readonly type: string;
}

/** Rows that share their keys: one insert, the keys its column list. */
export interface RowGroup {
  readonly columns: readonly string[];
  readonly rows: readonly object[];
}

/**
 * The rows split by the keys they have, in order of first appearance: one group
 * when all share them (rows built by one function, the common case, settled by
 * a positional check), else one per set of keys, so a row that leaves a column
 * out gets the column's default as it would in JSONEachRow.
 */
export function rowGroups(rows: readonly object[]): RowGroup[] {
  const columns = Object.keys(rows[0] ?? {});
  const same = (row: object) => {
    const keys = Object.keys(row);
    return keys.length === columns.length && keys.every((k, j) => k === columns[j]);
  };
  if (rows.every(same)) return [{ columns, rows }];
  const groups = new Map<string, { columns: string[]; rows: object[] }>();
  for (const row of rows) {
    const keys = Object.keys(row);
    const signature = [...keys].sort().join('\0');
    const group = groups.get(signature) ?? { columns: keys, rows: [] };
    groups.set(signature, group);
    group.rows.push(row);
  }
  return [...groups.values()];
}

interface CompiledColumn {
  readonly type: string;
  readonly encode?: ValueEncoder;
  readonly unsupported?: string;
}

/**
 * Encodes one table's rows as RowBinaryWithNamesAndTypes: RowBinary rows behind a
 * header of column names and types. The server checks that header against the
 * table, so a schema that changed since it was described fails the insert before
 * any row is read, instead of storing misread bytes.
 */
export class RowBinaryTableEncoder {
  readonly format = 'RowBinaryWithNamesAndTypes';
  private readonly columns = new Map<string, CompiledColumn>();

  constructor(columns: readonly ColumnSpec[], serverTimeZone = 'UTC') {
    for (const { name, type } of columns) {
      try {
        this.columns.set(name, { type, encode: compileType(type, serverTimeZone) });
      } catch (error) {
        if (!(error instanceof UnsupportedTypeError)) throw error;
        this.columns.set(name, { type, unsupported: error.message });
      }
    }
  }

  /** Columns the table does not have (or that cannot be inserted, such as MATERIALIZED ones). */
  unknown(columns: readonly string[]): string[] {
    return columns.filter((c) => !this.columns.has(c));
  }

  /** Why each of these columns cannot be encoded; empty when all can. */
  unsupported(columns: readonly string[]): string[] {
    return columns.flatMap((c) => {
      const why = this.columns.get(c)?.unsupported;
      return why === undefined ? [] : [`${c}: ${why}`];
    });
  }

  encode(columns: readonly string[], rows: readonly object[]): Buffer {
    const compiled = columns.map((c) => {
      const column = this.columns.get(c);
      if (!column?.encode) throw new RowBinaryValueError(`column '${c}' cannot be encoded`);
      return { ...column, encode: column.encode };
    });
    const w = new RowBinaryWriter(Math.max(4096, rows.length * columns.length * 16));
    w.uvarint(columns.length);
    for (const c of columns) w.string(c);
    for (const c of compiled) w.string(c.type);
    let at = 0;
    try {
      for (const row of rows as readonly Record<string, unknown>[]) {
        for (at = 0; at < columns.length; at++) compiled[at]!.encode(w, row[columns[at]!]);
      }
    } catch (error) {
      if (!(error instanceof RowBinaryValueError)) throw error;
      throw new RowBinaryValueError(`column '${columns[at]}' (${compiled[at]?.type}): ${error.message}`);
    }
    return w.done();
  }
}
