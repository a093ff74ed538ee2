import { z } from 'zod';
import { ClickHouseHttpError } from './errors.ts';

/** URL parameters that are part of the HTTP protocol itself, not settings. */
const protocolParams = new Set([
  'query', 'database', 'default_format', 'query_id', 'user', 'password', 'quota_key', 'session_id', 'session_timeout',
  'session_check', 'compress', 'decompress', 'buffer_size', 'role', 'stacktrace', 'client_protocol_version',
]);

/**
 * Settings that only steer the HTTP server (buffering, progress headers, response
 * compression). This endpoint always answers after the query ends, uncompressed,
 * so they are accepted and have no effect.
 */
export const httpOnlySettings = new Set([
  'wait_end_of_query', 'send_progress_in_http_headers', 'http_headers_progress_interval_ms', 'http_send_progress_interval_ms',
  'enable_http_compression', 'http_zlib_compression_level', 'http_response_buffer_size', 'http_response_compression_method',
  'http_native_compression_disable_checksumming_on_decompress', 'cancel_http_readonly_queries_on_client_close',
  'add_http_cors_header', 'http_wait_end_of_query',
]);

/** One boundary schema: fastify hands repeated parameters over as arrays; the last one wins, as in ClickHouse. */
export const ClickHouseQueryString = z
  .record(z.string(), z.union([z.string(), z.array(z.string())]))
  .transform((q) => Object.fromEntries(Object.entries(q).map(([k, v]) => [k, Array.isArray(v) ? (v[v.length - 1] ?? '') : v])));

export interface Credentials {
  readonly user: string;
  readonly password: string;
}

export interface InsertTarget {
  readonly table: string;
  readonly columns: readonly string[];
  readonly format: string;
}

export interface ClickHouseRequest {
  readonly credentials: Credentials;
  /** Statement text; for an insert with a data body, only the `INSERT … FORMAT X` part. */
  readonly sql: string;
  /** Set when the URL carries `INSERT INTO t [(cols)] FORMAT X` and the body carries the data. */
  readonly insert?: InsertTarget;
  readonly body: Buffer;
  readonly database?: string;
  readonly defaultFormat: string;
  readonly queryId?: string;
  readonly params: Record<string, string>;
  /** Every other URL parameter: a setting, HTTP-only ones removed. */
  readonly settings: Record<string, string>;
}

const insertWithData =
  /^\s*INSERT\s+INTO\s+(?:TABLE\s+)?(`?[A-Za-z_]\w*`?(?:\.`?[A-Za-z_]\w*`?)?)\s*(?:\(([^)]*)\))?\s*FORMAT\s+([A-Za-z]\w*)\s*$/i;

function unquote(identifier: string): string {
  return identifier.trim().replace(/`/g, '');
}

function credentialsOf(headers: Record<string, string | string[] | undefined>, q: Record<string, string>): Credentials {
  const header = (name: string) => {
    const v = headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const basic = /^Basic\s+(\S+)\s*$/i.exec(header('authorization') ?? '');
  if (basic?.[1]) {
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon < 0 ? { user: decoded, password: '' } : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  const user = header('x-clickhouse-user') ?? q.user ?? 'default';
  const password = header('x-clickhouse-key') ?? q.password ?? '';
  return { user, password };
}

/** Reads a request the way ClickHouse's HTTP handler does: URL query, then the body. */
export function parseClickHouseRequest(
  rawQuery: unknown,
  headers: Record<string, string | string[] | undefined>,
  body: Buffer,
): ClickHouseRequest {
  const parsed = ClickHouseQueryString.safeParse(rawQuery ?? {});
  if (!parsed.success) throw ClickHouseHttpError.of('SYNTAX_ERROR', 'URL parameters must be name=value pairs');
  const q = parsed.data;
  const params: Record<string, string> = {};
  const settings: Record<string, string> = {};
  for (const [name, value] of Object.entries(q)) {
    if (name.startsWith('param_')) params[name.slice('param_'.length)] = value;
    else if (!protocolParams.has(name) && !httpOnlySettings.has(name)) settings[name] = value;
  }
  const urlQuery = q.query ?? '';
  const insert = body.length > 0 ? insertWithData.exec(urlQuery) : null;
  let sql = urlQuery;
  if (!insert && body.length > 0) sql = urlQuery ? `${urlQuery}\n${body.toString('utf8')}` : body.toString('utf8');
  if (sql.trim().length === 0) throw ClickHouseHttpError.of('SYNTAX_ERROR', 'Empty query');
  const format = headers['x-clickhouse-format'];
  return {
    credentials: credentialsOf(headers, q),
    sql,
    ...(insert
      ? {
          insert: {
            table: unquote(insert[1] ?? ''),
            columns: (insert[2] ?? '').split(',').map(unquote).filter((c) => c.length > 0),
            format: insert[3] ?? '',
          },
        }
      : {}),
    body: insert ? body : Buffer.alloc(0),
    database: q.database,
    defaultFormat: q.default_format ?? (typeof format === 'string' ? format : 'TabSeparated'),
    queryId: q.query_id === undefined ? undefined : checkedQueryId(q.query_id),
    params,
    settings,
  };
}

/**
 * A caller's `query_id` is echoed in the `X-ClickHouse-Query-Id` header, so it is held to what
 * clients send (UUIDs, `name-1`, `a.b:c`): an explicit character list and length. Anything else
 * (a control character, a lone surrogate) would not be a valid header value.
 */
const queryIdPattern = /^[A-Za-z0-9_.:-]{1,128}$/;

function checkedQueryId(queryId: string): string {
  if (queryIdPattern.test(queryId)) return queryId;
  throw ClickHouseHttpError.of('BAD_ARGUMENTS', 'query_id: at most 128 characters of A-Z, a-z, 0-9, and _ . : -');
}

/** The FORMAT clause ending a statement, if any (ClickHouse lets it override `default_format`). */
export function trailingFormat(sql: string): string | undefined {
  return /\bFORMAT\s+([A-Za-z]\w*)\s*;?\s*$/i.exec(sql)?.[1];
}
