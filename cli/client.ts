/**
 * Strix's HTTP API as the CLI and the MCP server call it: JSON in and out with
 * an agent key, and the `/clickhouse` endpoint for SQL. Refusals (4xx) and
 * outages (no answer, 5xx) become `ServerRefused` and `ServerUnavailable`
 * carrying the server's own message.
 */
import { ServerRefused, ServerUnavailable } from './failures.ts';

export type QueryValue = string | number | boolean | undefined;
export type Query = Record<string, QueryValue | readonly string[]>;

export interface StrixClientOptions {
  /** The server's base URL (`http://localhost:8080`, or with a path prefix behind a proxy). */
  url: string;
  key: string;
  /** Per request; a `/clickhouse` query may run 30 s on the server by default. */
  timeoutMs?: number;
  /** How often a 429 or 503 is tried again (the server did not act on it), waiting its Retry-After. */
  retries?: number;
}

/** Longest Retry-After honoured; a longer one is reported instead of waited for. */
const maxRetryWaitMs = 10_000;
/** Most of an error body shown: ClickHouse errors can quote a whole query. */
const maxMessageChars = 2_000;

export class StrixClient {
  readonly url: string;
  private readonly key: string;
  private readonly timeoutMs: number;
  private readonly retries: number;

  constructor(options: StrixClientOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.key = options.key;
    this.timeoutMs = options.timeoutMs ?? 120_000;
    this.retries = options.retries ?? 2;
  }

  get<T = unknown>(path: string, query: Query = {}): Promise<T> {
    return this.json<T>('GET', path, query);
  }

  post<T = unknown>(path: string, body: unknown = {}): Promise<T> {
    return this.json<T>('POST', path, {}, body);
  }

  patch<T = unknown>(path: string, body: unknown): Promise<T> {
    return this.json<T>('PATCH', path, {}, body);
  }

  /**
   * Runs SQL on `/clickhouse` (the key as the password) and answers the raw
   * response, its body unread: `format` is the ClickHouse output format unless
   * the statement ends with its own FORMAT clause (see `x-clickhouse-format`).
   * `settings` may only lower the endpoint's limits (`max_result_rows`, ...).
   */
  async sql(statement: string, format: string, params: Record<string, string> = {}, settings: Record<string, string> = {}): Promise<Response> {
    const query: Query = { ...settings, default_format: format };
    for (const [name, value] of Object.entries(params)) query[`param_${name}`] = value;
    // Not user "admin": that name is the operator's full-SQL account.
    const basic = Buffer.from(`strix:${this.key}`).toString('base64');
    return this.request('POST', '/clickhouse/', query, { authorization: `Basic ${basic}`, 'content-type': 'text/plain; charset=utf-8' }, statement);
  }

  private async json<T>(method: string, path: string, query: Query, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.key}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await this.request(method, path, query, headers, body === undefined ? undefined : JSON.stringify(body));
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ServerUnavailable(`${method} ${path}: the answer is not JSON (is ${this.url} a Strix server?): ${clip(text)}`, response.status);
    }
  }

  private async request(method: string, path: string, query: Query, headers: Record<string, string>, body?: string): Promise<Response> {
    const url = `${this.url}${path}${queryString(query)}`;
    for (let attempt = 0; ; attempt++) {
      let response: Response;
      try {
        response = await fetch(url, { method, headers: { ...headers, 'user-agent': 'strix-cli' }, body, signal: AbortSignal.timeout(this.timeoutMs) });
      } catch (error) {
        throw new ServerUnavailable(`cannot reach ${this.url}: ${networkReason(error, this.timeoutMs)}`);
      }
      if (response.ok) return response;
      const wait = retryWaitMs(response);
      if (wait !== undefined && attempt < this.retries) {
        await response.body?.cancel();
        await new Promise((resolve) => setTimeout(resolve, wait));
        continue;
      }
      throw await failureOf(response);
    }
  }
}

function queryString(query: Query): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value as readonly string[]) params.append(name, v);
    else params.set(name, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** How long to wait before trying a 429 or 503 again, or undefined to give up now. */
function retryWaitMs(response: Response): number | undefined {
  if (response.status !== 429 && response.status !== 503) return undefined;
  const seconds = Number(response.headers.get('retry-after') ?? '1');
  if (!Number.isFinite(seconds) || seconds < 0 || seconds * 1000 > maxRetryWaitMs) return undefined;
  return seconds * 1000;
}

async function failureOf(response: Response): Promise<ServerRefused | ServerUnavailable> {
  const text = await response.text().catch(() => '');
  let code = response.statusText || 'error';
  let message = text.trim();
  try {
    const body = JSON.parse(text) as { error?: unknown; message?: unknown };
    if (typeof body.error === 'string') code = body.error;
    if (typeof body.message === 'string') message = body.message;
  } catch {
    // A text answer: ClickHouse's `Code: N. DB::Exception: …`, or a proxy's page.
    const exception = /\(([A-Z_]+)\)\s*$/.exec(message)?.[1];
    if (exception) code = exception;
  }
  message = clip(message || response.statusText || 'no message');
  return response.status >= 500 ? new ServerUnavailable(`${code}: ${message}`, response.status) : new ServerRefused(response.status, code, message);
}

function networkReason(error: unknown, timeoutMs: number): string {
  if (error instanceof DOMException && error.name === 'TimeoutError') return `no answer within ${timeoutMs / 1000} s`;
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}

const clip = (text: string) => (text.length > maxMessageChars ? `${text.slice(0, maxMessageChars)}…` : text);
