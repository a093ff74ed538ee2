import type { InsertOptions, OutputFormat, QueryParams, Warehouse } from '@strix/contracts';

/**
 * Times every statement a scan sends, named by verb and tables, so the report
 * shows where a scan's time goes without touching the scan itself.
 */
export class StatementTimer implements Warehouse {
  readonly timings = new Map<string, { ms: number; calls: number }>();

  constructor(private readonly inner: Warehouse) {}

  private async timed<T>(statement: string, run: () => Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await run();
    } finally {
      const t = this.timings.get(statement) ?? { ms: 0, calls: 0 };
      this.timings.set(statement, { ms: t.ms + performance.now() - start, calls: t.calls + 1 });
    }
  }

  private static label(sql: string): string {
    const verb = /^\s*(\w+)/.exec(sql)?.[1]?.toUpperCase() ?? '?';
    const tables = [...new Set([...sql.matchAll(/\b(?:FROM|JOIN|INTO)\s+([a-z_]+)/gi)].map((m) => m[1]))];
    return `${verb} ${tables.join(' + ')}${/GROUP BY/i.test(sql) ? ' (aggregate)' : ''}`;
  }

  insert(table: string, rows: readonly object[], options?: InsertOptions) {
    return this.timed(`INSERT ${table} (rows from JS)`, () => this.inner.insert(table, rows, options));
  }
  query<Row>(sql: string, params?: QueryParams) {
    return this.timed(StatementTimer.label(sql), () => this.inner.query<Row>(sql, params));
  }
  command(sql: string, params?: QueryParams) {
    return this.timed(StatementTimer.label(sql), () => this.inner.command(sql, params));
  }
  stream(sql: string, params: QueryParams, format: OutputFormat) {
    return this.inner.stream(sql, params, format);
  }
  close() {
    return this.inner.close();
  }
}
