/**
 * A Warehouse decorator for fuzzing: each read runs on the real warehouse once
 * per *input class* (its SQL and its parameters reduced to their kind: type,
 * sign, order of magnitude, length band, and whether text holds non-ASCII,
 * invalid Unicode, control or quote characters); a later read of the same class
 * gets that class's rows back without running.
 *
 * Why: chDB takes ~5 ms per query whatever the data, and a fuzzer sending
 * 10,000 cases per endpoint would spend minutes re-running one query with
 * values that differ only in ways the warehouse cannot tell apart. Every new
 * kind of value still reaches ClickHouse, and a failure is never cached.
 * Writes always run.
 */
import type { InsertOptions, OutputFormat, QueryParams, Warehouse } from '@strix/contracts';

const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

const band = (n: number) => (n === 0 ? 0 : Math.ceil(Math.log2(n + 1)));

function textClass(s: string): string {
  let flags = '';
  if (/[^\x00-\x7f]/.test(s)) flags += 'u';
  if (loneSurrogate.test(s)) flags += 's';
  if (/[\x00-\x1f\x7f]/.test(s)) flags += 'c';
  if (/['"\\`]/.test(s)) flags += 'q';
  if (/^-?\d+$/.test(s)) flags += 'd';
  return `s${band(s.length)}${flags}`;
}

function numberClass(n: number): string {
  if (!Number.isFinite(n)) return `n${n}`;
  const magnitude = n === 0 ? 'z' : Math.floor(Math.log10(Math.abs(n)));
  return `n${Math.sign(n)}${Number.isInteger(n) ? 'i' : 'f'}${magnitude}`;
}

/** The kind of a value, as a string; nested keys (map keys a client chose) are classed like values. */
export function inputClass(v: unknown, depth = 0): string {
  if (v === null || v === undefined) return String(v);
  if (typeof v === 'string') return textClass(v);
  if (typeof v === 'number') return numberClass(v);
  if (typeof v === 'boolean' || typeof v === 'bigint') return `${typeof v}:${String(v)}`;
  if (v instanceof Date) return `d${v.getUTCFullYear()}`;
  if (Array.isArray(v)) return `[${band(v.length)}:${[...new Set(v.map((x) => inputClass(x, depth + 1)))].sort().join(',')}]`;
  if (typeof v === 'object') {
    const entries = Object.entries(v).map(([k, x]) => `${depth === 0 ? k : textClass(k)}=${inputClass(x, depth + 1)}`);
    return `{${[...new Set(entries)].sort().join(',')}}`;
  }
  return typeof v;
}

export class InputClassWarehouse implements Warehouse {
  readonly counts = { ran: 0, reused: 0, failed: 0 };
  private readonly rows = new Map<string, unknown[]>();

  constructor(private readonly inner: Warehouse) {}

  async query<Row>(sql: string, params: QueryParams = {}): Promise<Row[]> {
    const key = `${sql}\u0000${inputClass(params)}`;
    const known = this.rows.get(key);
    if (known) {
      this.counts.reused++;
      return known as Row[];
    }
    const rows = await this.counted(() => this.inner.query<Row>(sql, params));
    this.rows.set(key, rows);
    return rows;
  }

  /** Writes change what later reads see: drop the remembered rows. */
  async insert(table: string, rows: readonly object[], options?: InsertOptions): Promise<void> {
    await this.counted(() => this.inner.insert(table, rows, options));
    this.rows.clear();
  }

  async command(sql: string, params?: QueryParams): Promise<void> {
    await this.counted(() => this.inner.command(sql, params));
    this.rows.clear();
  }

  /** Exports are counted when they start; what they stream is not remembered. */
  stream(sql: string, params: QueryParams, format: OutputFormat): AsyncIterable<Uint8Array> {
    this.counts.ran++;
    return this.inner.stream(sql, params, format);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private async counted<T>(run: () => Promise<T>): Promise<T> {
    this.counts.ran++;
    try {
      return await run();
    } catch (error) {
      this.counts.failed++;
      throw error;
    }
  }
}
