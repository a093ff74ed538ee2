/** The API on this origin, as a signed-in person: the session cookie goes by itself; changes echo the CSRF cookie. */

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function cookie(name: string): string | undefined {
  for (const part of document.cookie.split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return decodeURIComponent(value.join('='));
  }
  return undefined;
}

export interface Call {
  method?: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  body?: unknown;
  /** The project an agent route acts on (sent as x-strix-project). */
  project?: string;
}

/** A JSON answer of the API, or an ApiFailure carrying its `{error, message}`. */
export async function api<T>(path: string, call: Call = {}): Promise<T> {
  const method = call.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'application/json' };
  if (call.body !== undefined) headers['content-type'] = 'application/json';
  if (call.project) headers['x-strix-project'] = call.project;
  if (method !== 'GET') headers['x-strix-csrf'] = cookie('strix_csrf') ?? '';
  const res = await fetch(path, { method, headers, credentials: 'same-origin', ...(call.body !== undefined && { body: JSON.stringify(call.body) }) });
  if (res.status === 204) return undefined as T;
  const body = (await res.json().catch(() => ({}))) as { error?: string; message?: string };
  if (!res.ok) throw new ApiFailure(res.status, body.error ?? 'error', body.message ?? `${method} ${path} answered ${res.status}`);
  return body as T;
}

/** The signed-in person, their teams and what they may do in each project (`GET /v1/me`). */
export interface Me {
  type: 'session';
  user: { id: string; email: string; name: string };
  teams: { id: string; name: string; slug: string; role: string; projects: { id: string; name: string; slug: string; permissions: string[] }[] }[];
}
