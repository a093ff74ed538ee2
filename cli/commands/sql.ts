/**
 * `strix sql`: a query to the `/clickhouse` endpoint with the agent key as the
 * password (read-only, scoped to the key's project). Table and JSON read the
 * answer as JSONCompactEachRowWithNames; CSV streams CSVWithNames as it comes;
 * a statement with its own FORMAT clause gets its bytes passed through as-is.
 */
import { once } from 'node:events';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { CommandSpec, Context } from '../command.ts';
import { UsageError } from '../failures.ts';
import { readStdin } from '../input.ts';
import { type Format, type Row } from '../output.ts';
import { rowsOfCompact } from '../sql-rows.ts';
import { pairs, texts } from '../read-scope.ts';

const engineFormats: Record<Format, string> = { table: 'JSONCompactEachRowWithNames', json: 'JSONCompactEachRowWithNames', csv: 'CSVWithNames' };

async function statementOf(ctx: Context): Promise<string> {
  const words = (ctx.args.query as string[] | undefined) ?? [];
  if (words.length === 1 && words[0] === '-') return readStdin(ctx.io);
  if (words.length > 0) return words.join(' ');
  if (ctx.io.stdin.isTTY) throw new UsageError('missing QUERY: give it as an argument or on stdin', 'sql');
  return readStdin(ctx.io);
}

/** Copies the answer to stdout as it arrives, at the pace stdout takes it. */
async function pipe(body: ReadableStream<Uint8Array> | null, ctx: Context): Promise<void> {
  if (!body) return;
  const out = ctx.io.stdout;
  for await (const chunk of Readable.fromWeb(body as WebReadableStream<Uint8Array>)) {
    if (!out.write(chunk as Buffer)) await once(out, 'drain');
  }
}

const numeric = (rows: readonly Row[], key: string) =>
  rows.length > 0 && rows.every((r) => r[key] === null || typeof r[key] === 'number' || (typeof r[key] === 'string' && /^-?\d+(\.\d+)?$/.test(r[key])));

export const sqlCommands: CommandSpec[] = [
  {
    path: ['sql'],
    summary: "Run SQL on the project's events (read-only ClickHouse SQL)",
    details:
      'Sends the query to /clickhouse with the agent key (see the README, "SQL for analysts": tables, views,\n' +
      'functions and limits). The query is the arguments, or stdin. --format csv is the engine\'s CSVWithNames,\n' +
      'streamed; a query ending in FORMAT <name> is answered in that format, unchanged (Parquet, Arrow, TSV, ...).',
    args: [{ name: 'query', variadic: true, description: "The SQL ('-' or none: stdin)" }],
    options: { param: { type: 'string', multiple: true, valueName: 'NAME=VALUE', description: 'A query parameter, used as {NAME:Type}' } },
    output: true,
    remote: true,
    examples: [
      'strix sql "SELECT level, count() FROM events GROUP BY level"',
      "strix sql --param name=checkout 'SELECT count() FROM events WHERE name = {name:String}'",
      'strix sql < report.sql --format csv > report.csv',
    ],
    async run(ctx) {
      const statement = await statementOf(ctx);
      if (statement.trim().length === 0) throw new UsageError('the query is empty', 'sql');
      const params = pairs(texts(ctx.options, 'param'), 'param');
      const asked = engineFormats[ctx.format];
      const response = await (await ctx.client()).sql(statement, asked, params);
      if (response.headers.get('x-clickhouse-format') !== asked || ctx.format === 'csv') {
        await pipe(response.body, ctx);
        return;
      }
      const { names, rows } = rowsOfCompact(await response.text());
      ctx.print({ rows, columns: names.map((key) => ({ key, numeric: numeric(rows, key) })) });
    },
  },
];
