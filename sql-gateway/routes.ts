import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { ChdbSql, RunResult } from '@strix/warehouse/chdb-sql';
import { AnalystQueries, type AnalystQueryOptions } from './analyst-queries.ts';
import { ClickHouseHttpError, errorBodyOf, httpStatusFor } from './errors.ts';
import { decodeParams } from './params.ts';
import { parseClickHouseRequest, trailingFormat, type ClickHouseRequest } from './request.ts';
import { decompressBody, documentingValidator, zodSerializer } from '@strix/http';

/** Who a ClickHouse user/password pair is: an agent key's read-only project view (`keyId` for its caps), or an operator. */
export type ClickHouseAccess = { readonly kind: 'analyst'; readonly projectId: string; readonly keyId: string } | { readonly kind: 'admin' };

export interface ClickHouseRoutesOptions {
  /** Raw SQL on the embedded engine (a session of Strix's own on the warehouse's data path), for admins. */
  readonly engine: ChdbSql;
  /** Resolves HTTP basic auth or X-ClickHouse-User/Key; undefined refuses the request. */
  readonly authenticate: (user: string, password: string) => ClickHouseAccess | undefined;
  /** Where analysts' queries run and what they may cost (`trusted` defaults to `engine`). */
  readonly analyst?: Omit<AnalystQueryOptions, 'trusted'> & { readonly trusted?: ChdbSql };
  /** Where the interface is mounted; `<path>/` runs queries, `<path>/ping` answers `Ok.`. */
  readonly path?: string;
  /** Largest request body (an admin INSERT's data), after decompression. */
  readonly bodyLimit?: number;
  /** Set false when an enclosing app already inflates gzip bodies in its own preParsing hook. */
  readonly decompress?: boolean;
  /** The only database served: chDB has one current database per session, shared by all callers. */
  readonly database?: string;
}

const contentTypes: [RegExp, string][] = [
  [/^JSON/, 'application/json; charset=UTF-8'],
  [/^(TabSeparated|TSV)/, 'text/tab-separated-values; charset=UTF-8'],
  [/^CSV/, 'text/csv; charset=UTF-8; header=absent'],
  [/^(Pretty|Vertical|Markdown|XML|Values|LineAsString|Raw|Template)/, 'text/plain; charset=UTF-8'],
];

/** Where chDB's defaults differ from a ClickHouse server's, clients expect the server's. */
const serverDefaults: Record<string, string> = { output_format_json_quote_64bit_integers: '1' };

function contentTypeOf(format: string): string {
  return contentTypes.find(([re]) => re.test(format))?.[1] ?? 'application/octet-stream';
}

function summaryOf(r: { read_rows?: number; read_bytes?: number; written_rows?: number; written_bytes?: number; elapsed?: number }): string {
  return JSON.stringify({
    read_rows: String(r.read_rows ?? 0),
    read_bytes: String(r.read_bytes ?? 0),
    written_rows: String(r.written_rows ?? 0),
    written_bytes: String(r.written_bytes ?? 0),
    total_rows_to_read: '0',
    result_rows: '0',
    result_bytes: '0',
    elapsed_ns: String(Math.round((r.elapsed ?? 0) * 1e9)),
  });
}

function send(reply: FastifyReply, queryId: string, format: string, result: RunResult) {
  return reply
    .header('x-clickhouse-query-id', queryId)
    .header('x-clickhouse-format', format)
    .header('x-clickhouse-summary', summaryOf({ read_rows: result.rowsRead, read_bytes: result.bytesRead, elapsed: result.elapsedSeconds }))
    .type(contentTypeOf(format))
    .send(Buffer.from(result.bytes.buffer, result.bytes.byteOffset, result.bytes.byteLength));
}

/**
 * The ClickHouse HTTP interface over the embedded engine, so analysts' tools and
 * `@clickhouse/client` (the distributed warehouse adapter's tests) talk to chDB
 * as to a server. Responses are the engine's bytes in the format the caller
 * chose, so routes declare no JSON response schema: there is no JSON to shape.
 */
export const clickhouseRoutes: FastifyPluginAsync<ClickHouseRoutesOptions> = async (app, options) => {
  const base = (options.path ?? '/clickhouse').replace(/\/$/, '');
  const analysts = options.analyst && new AnalystQueries({ trusted: options.engine, ...options.analyst });
  const database = options.database ?? 'default';
  const bodyLimit = options.bodyLimit ?? 64 * 1024 * 1024;

  // The routes' zod schemas document the protocol, also when mounted on an app other than buildHttpApp's.
  app.setValidatorCompiler(documentingValidator);
  app.setSerializerCompiler(zodSerializer);

  // Bodies are SQL or data in any format: take them as bytes, whatever the content type.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_request, body, done) => done(null, body));
  if (options.decompress !== false) {
    app.addHook('preParsing', async (request, _reply, payload) => decompressBody(payload, request.headers['content-encoding']));
  }

  app.setErrorHandler((error, request, reply) => {
    const e = error as { code?: unknown; statusCode?: number; message: string };
    let code = typeof e.code === 'number' ? e.code : 1001;
    let status = error instanceof ClickHouseHttpError ? error.status : httpStatusFor(code);
    let body: string;
    if (error instanceof ClickHouseHttpError || typeof e.code === 'number') {
      body = errorBodyOf(e, code);
    } else if (e.statusCode !== undefined && e.statusCode < 500) {
      code = e.statusCode === 413 ? 307 : 62;
      status = e.statusCode;
      body = `Code: ${code}. DB::Exception: ${e.message}. (${code === 307 ? 'TOO_MANY_BYTES' : 'SYNTAX_ERROR'})\n`;
    } else {
      console.error(`[strix] clickhouse ${request.method} failed:`, error);
      body = 'Code: 1001. DB::Exception: internal error. (STD_EXCEPTION)\n';
    }
    return reply.code(status).header('x-clickhouse-exception-code', String(code)).type('text/plain; charset=UTF-8').send(body);
  });

  async function handle(request: ClickHouseRequest, reply: FastifyReply) {
    const { user, password } = request.credentials;
    const access = options.authenticate(user, password);
    if (!access) {
      // The user name is not echoed: a client that put its key there would see it in the answer.
      throw ClickHouseHttpError.of('AUTHENTICATION_FAILED', 'Authentication failed: password is incorrect, or there is no user with such name');
    }
    if (request.database && request.database !== database) {
      throw ClickHouseHttpError.of('UNKNOWN_DATABASE', `Database ${request.database} does not exist (this endpoint serves only '${database}')`);
    }
    const queryId = request.queryId ?? randomUUID();
    const settings = { ...serverDefaults, ...request.settings };
    const params = decodeParams(request.sql, request.params);
    switch (access.kind) {
      case 'analyst': {
        if (request.insert) throw ClickHouseHttpError.of('READONLY', 'Cannot execute query in readonly mode: analyst keys cannot INSERT');
        if (!analysts) throw ClickHouseHttpError.of('ACCESS_DENIED', 'This endpoint serves no analyst queries');
        const { keyId, projectId } = access;
        const run = { keyId, projectId, sql: request.sql, params, settings: request.settings, defaultFormat: request.defaultFormat };
        return analysts.run(run, reply, (format) => ({
          'x-clickhouse-query-id': queryId,
          'x-clickhouse-format': format,
          'x-clickhouse-summary': summaryOf({}),
          'content-type': contentTypeOf(format),
        }));
      }
      case 'admin': {
        if (request.insert) {
          const { table, columns, format } = request.insert;
          const written = await options.engine.insert({ table, columns, format, data: request.body, settings });
          return reply
            .header('x-clickhouse-query-id', queryId)
            .header('x-clickhouse-format', request.defaultFormat)
            .header('x-clickhouse-summary', summaryOf({ written_rows: written.rowsWritten, written_bytes: written.bytesWritten, elapsed: written.elapsedSeconds }))
            .type('text/plain; charset=UTF-8')
            .send('');
        }
        const format = trailingFormat(request.sql) ?? request.defaultFormat;
        const sql = request.sql.replace(/;\s*$/, '');
        // A SETTINGS clause cannot follow every statement (DDL has its own), so the
        // server defaults ride only on statements that return rows.
        const runSettings = /^\s*(SELECT|WITH|SHOW|DESCRIBE|DESC|EXISTS|EXPLAIN)\b/i.test(sql) ? settings : request.settings;
        return send(reply, queryId, format, await options.engine.run(sql, { format, params, settings: runSettings }));
      }
      default: {
        const never: never = access;
        throw new Error(`unknown access ${JSON.stringify(never)}`);
      }
    }
  }

  // Documentation only: the ClickHouse HTTP protocol is parsed by parseClickHouseRequest, and the answer is
  // the engine's bytes in the format asked for (or a ClickHouse error text), never JSON shaped by a schema.
  const optional = (description: string) => z.string().optional().meta({ description });
  const querystring = z
    .looseObject({
      query: optional('The SQL (or its start, the rest in the body)'),
      database: optional(`Only '${database}'`),
      default_format: optional('Output format when the SQL names none (default TabSeparated)'),
      query_id: optional('Echoed in X-ClickHouse-Query-Id'),
      user: optional('With password: instead of basic auth'),
      password: optional('An agent key with events:read, or the admin password'),
    })
    .meta({ description: 'Also param_<name> for {name:Type} placeholders, and ClickHouse settings' });
  const answer = { 200: z.string().meta({ description: 'The result in the FORMAT asked for (TabSeparated by default); errors are ClickHouse error text' }) };
  const doc = (summary: string) => ({
    summary,
    description:
      'The ClickHouse HTTP interface: SQL in the `query` parameter or the body. Authenticate with HTTP basic auth or X-ClickHouse-User/X-ClickHouse-Key: ' +
      'an agent key with events:read as the password reads its project read-only; user admin runs any SQL when STRIX_SQL_ADMIN_PASSWORD is set.',
    tags: ['clickhouse'],
    querystring,
    response: answer,
  });
  for (const path of [base, `${base}/`]) {
    app.get(path, { schema: doc('Run a query (ClickHouse HTTP protocol)') }, async (request, reply) =>
      handle(parseClickHouseRequest(request.query, request.headers, Buffer.alloc(0)), reply),
    );
    app.post(path, { schema: { ...doc('Run a query or insert data (ClickHouse HTTP protocol)'), body: z.string().meta({ description: 'SQL, or an INSERT’s data' }) }, bodyLimit }, async (request, reply) =>
      handle(parseClickHouseRequest(request.query, request.headers, Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0)), reply),
    );
  }
  app.get(`${base}/ping`, { schema: { summary: 'Answers Ok. (ClickHouse’s liveness check)', tags: ['clickhouse'], response: answer } }, async (_request, reply) =>
    reply.type('text/plain; charset=UTF-8').send('Ok.\n'),
  );
};
