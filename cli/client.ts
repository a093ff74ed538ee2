/**
 * Strix's HTTP API as the CLI and the MCP server call it: JSON in and out with
 * an agent key or a person's session, and the `/clickhouse` endpoint for SQL.
 * Refusals (4xx) and outages (no answer, 5xx) become `ServerRefused` and
 * `ServerUnavailable` carrying the server's own message.
 */
import { ServerRefused, ServerUnavailable, UsageError } from './failures.ts';

export type QueryValue = string | number | boolean | undefined;
export type Query = Record<string, QueryValue | readonly string[]>;

/**
 * A person signed in by the emailed code (`strix login --email`), sent as a
 * browser sends it: the session and CSRF cookies, the CSRF header on changes,
 * and the project acted on in a header.
 */
export interface Session {
  token: string;
  csrf: string;
  /** ISO 8601, as of sign-in: the server extends a session as it is used. */
  expiresAt: string;
  email: string;
  /** Sent as `x-strix-project`; none until one is chosen (`/v1/me` needs none). */
  projectId?: string;
  /** The saved profile it came from, named in the message asking to sign in again. */
  profile?: string;
}

/** An agent key, or a session. */
export type Credential = string | Session;

// The names http/session-auth.ts gives them (the CLI reaches Strix through HTTP only).
const sessionCookie = 'strix_session';
const csrfCookie = 'strix_csrf';
const csrfHeader = 'x-strix-csrf';
const projectHeader = 'x-strix-project';

export interface StrixClientOptions {
  /** The server's base URL (`http://localhost:8080`, or with a path prefix behind a proxy). */
  url: string;
  /** None only for the sign-in routes. */
  key?: Credential;
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
  private readonly key: Credential | undefined;
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
    if (typeof this.key !== 'string') {
      throw new UsageError('SQL needs an agent key: the /clickhouse endpoint does not take a session; sign in with strix login (a key), or set STRIX_KEY');
    }
    const query: Query = { ...settings, default_format: format };
    for (const [name, value] of Object.entries(params)) query[`param_${name}`] = value;
    // Not user "admin": that name is the operator's full-SQL account.
    const basic = Buffer.from(`strix:${this.key}`).toString('base64');
    return this.request('POST', '/clickhouse/', query, { authorization: `Basic ${basic}`, 'content-type': 'text/plain; charset=utf-8' }, statement);
  }

  /**
   * Exchanges the code POST /v1/auth/send-code mailed to `email` for a
   * session: the server sets it as cookies, read here with the answer's body.
   */
  /** The project a session acts on; none for a key (a key's project is its own). */
  get sessionProject(): string | undefined {
    return typeof this.key === 'object' ? this.key.projectId : undefined;
  }

  async signInByCode<T = unknown>(email: string, code: string): Promise<{ session: Session; answer: T }> {
    const path = '/v1/auth/verify';
    const response = await this.request('POST', path, {}, { accept: 'application/json', 'content-type': 'application/json' }, JSON.stringify({ email, code }));
    const cookies = new Map(response.headers.getSetCookie().map(parseSetCookie));
    const session = cookies.get(sessionCookie);
    const csrf = cookies.get(csrfCookie);
    if (!session?.expiresAt || !csrf) throw new ServerUnavailable(`POST ${path}: the answer set no session cookies (is ${this.url} a Strix server?)`, response.status);
    return { session: { token: session.value, csrf: csrf.value, expiresAt: session.expiresAt, email }, answer: await this.body<T>('POST', path, response) };
  }

  private async json<T>(method: string, path: string, query: Query, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { ...this.credentialHeaders(method), accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await this.request(method, path, query, headers, body === undefined ? undefined : JSON.stringify(body));
    return this.body<T>(method, path, response);
  }

  private credentialHeaders(method: string): Record<string, string> {
    const key = this.key;
    if (key === undefined) return {};
    if (typeof key === 'string') return { authorization: `Bearer ${key}` };
    return {
      cookie: `${sessionCookie}=${key.token}; ${csrfCookie}=${key.csrf}`,
      // The double submit the server checks on every change: the header equals the cookie.
      ...(method !== 'GET' && { [csrfHeader]: key.csrf }),
      ...(key.projectId !== undefined && { [projectHeader]: key.projectId }),
    };
  }

  private async body<T>(method: string, path: string, response: Response): Promise<T> {
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
      throw this.explained(await failureOf(response));
    }
  }

  /** A 401 to a session means it ended (expired or signed out): say how to get a new one. */
  private explained(failure: ServerRefused | ServerUnavailable): ServerRefused | ServerUnavailable {
    const session = this.key;
    if (!(failure instanceof ServerRefused) || failure.status !== 401 || session === undefined || typeof session === 'string') return failure;
    const profile = session.profile === undefined ? '' : ` --profile ${session.profile}`;
    const which = session.profile === undefined ? 'the session' : `the session of profile ${session.profile}`;
    // A request carrying a session token gets a 401 when the server no longer knows the token.
    return new ServerRefused(401, failure.code, `${which} expired or was signed out: sign in again with strix login --email ${session.email}${profile}`);
  }
}

/** A `Set-Cookie` header's name, value and expiry (ISO 8601, from Expires or Max-Age). */
function parseSetCookie(header: string): [string, { value: string; expiresAt?: string }] {
  const [pair = '', ...attributes] = header.split(';').map((part) => part.trim());
  const at = pair.indexOf('=');
  const name = at < 0 ? pair : pair.slice(0, at);
  const value = at < 0 ? '' : decodeURIComponent(pair.slice(at + 1));
  let expiresMs: number | undefined;
  for (const attribute of attributes) {
    const [attrName = '', attrValue = ''] = attribute.split(/=(.*)/s, 2);
    // Max-Age wins over Expires (RFC 6265, 5.3).
    if (/^max-age$/i.test(attrName)) expiresMs = Date.now() + Number(attrValue) * 1000;
    else if (/^expires$/i.test(attrName) && expiresMs === undefined) expiresMs = Date.parse(attrValue);
  }
  return [name, { value, ...(expiresMs !== undefined && Number.isFinite(expiresMs) && { expiresAt: new Date(expiresMs).toISOString() }) }];
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
