/**
 * Errors as a ClickHouse server reports them over HTTP: a status code derived
 * from the exception code, `X-ClickHouse-Exception-Code`, and a text body
 * `Code: N. DB::Exception: <message>. (NAME)` that clients parse.
 */
export const ClickHouseCodes = {
  SYNTAX_ERROR: 62,
  BAD_ARGUMENTS: 36,
  UNKNOWN_TABLE: 60,
  TOO_MANY_SIMULTANEOUS_QUERIES: 202,
  TOO_MANY_ROWS_OR_BYTES: 396,
  UNKNOWN_DATABASE: 81,
  UNKNOWN_QUERY_PARAMETER: 456,
  READONLY: 164,
  ACCESS_DENIED: 497,
  AUTHENTICATION_FAILED: 516,
  UNKNOWN_FORMAT: 73,
  NOT_IMPLEMENTED: 48,
  QUERY_IS_TOO_LARGE: 62,
} as const;
export type ClickHouseCodeName = keyof typeof ClickHouseCodes;

export class ClickHouseHttpError extends Error {
  constructor(
    readonly code: number,
    /** Full `Code: N. DB::Exception: …` text, as the engine or this endpoint wrote it. */
    readonly body: string,
    /** The HTTP status, when it is not the one ClickHouse gives the code. */
    readonly status = httpStatusFor(code),
  ) {
    super(body);
    this.name = 'ClickHouseHttpError';
  }

  static of(name: ClickHouseCodeName, message: string, status?: number): ClickHouseHttpError {
    const code = ClickHouseCodes[name];
    return new ClickHouseHttpError(code, `Code: ${code}. DB::Exception: ${message}. (${name})`, status);
  }
}

/** Engine failures that are the server's, not the analyst's query's: out of memory as a whole, too busy, a bug. */
const serverSide = new Set([202, 1001, 49, 999, 1002]);

/**
 * The status of an engine error raised by an analyst's query. The query is the
 * caller's input, so its failures, limits hit included, are 4xx; only the
 * server's own trouble is 5xx.
 */
export function analystStatusFor(code: number, message: string): number {
  if (code === 241 && /\(total\)/.test(message)) return 503;
  if (serverSide.has(code)) return code === 202 ? 503 : 500;
  const status = httpStatusFor(code);
  return status < 500 ? status : 400;
}

const badRequest = new Set([
  6, 25, 26, 27, 28, 32, 33, 34, 35, 36, 38, 41, 42, 43, 44, 46, 47, 53, 62, 69, 70, 72, 73, 115, 117, 130, 131, 184, 215, 456, 457,
]);
const notFound = new Set([60, 81, 83]);
const unauthorized = new Set([192, 193, 194, 516]);
const forbidden = new Set([164, 497]);

/** The HTTP status ClickHouse's HTTP handler answers for an exception code. */
export function httpStatusFor(code: number): number {
  if (unauthorized.has(code)) return 401;
  if (forbidden.has(code)) return 403;
  if (notFound.has(code)) return 404;
  if (badRequest.has(code)) return 400;
  if (code === 48) return 501;
  if (code === 202) return 503;
  return 500;
}

/** The engine's text, always ending in a newline as ClickHouse sends it; the `(NAME)` suffix is what clients parse. */
export function errorBodyOf(error: { message: string }, code: number): string {
  const text = error.message.trimEnd();
  return `${/^Code: \d+\./.test(text) ? text : `Code: ${code}. DB::Exception: ${text}`}\n`;
}
