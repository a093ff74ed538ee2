import { z } from 'zod';
import { ApiError } from './errors.ts';
import { findMalformedText } from './well-formed-text.ts';

type Where = 'query parameter' | 'body field' | 'path parameter';

/**
 * Where the first U+0000 of a parsed input is, as `path: message`. PostgreSQL
 * text cannot hold it (the control plane's names, ids and cursors answered
 * 500, found by the fuzz suite), and no name, id or filter of the API needs it.
 */
function findNul(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? `${path}: must not contain the character U+0000` : undefined;
  if (typeof value !== 'object' || value === null) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findNul(value[i], `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  for (const [key, inner] of Object.entries(value)) {
    if (key.includes('\u0000')) return `${path}[${JSON.stringify(key)}]: keys must not contain the character U+0000`;
    const found = findNul(inner, `${path}.${key}`);
    if (found) return found;
  }
  return undefined;
}

/** The first problem, naming the field: `body field email: must be an email address`. */
function parse<T extends z.ZodType>(schema: T, input: unknown, where: Where): z.infer<T> {
  const parsed = schema.safeParse(input);
  if (parsed.success) {
    // Valid JSON may hold lone surrogates; the warehouse refuses them (a 500 on a project or funnel name, found by the fuzz suite).
    const malformed = findMalformedText(parsed.data, '') ?? findNul(parsed.data, '');
    if (malformed) throw new ApiError('bad_request', `${where} ${malformed.replace(/^\./, '')}`);
    return parsed.data;
  }
  const issue = parsed.error.issues[0];
  if (issue?.code === 'unrecognized_keys') {
    const known = Object.keys((schema as unknown as { shape?: object }).shape ?? {}).join(', ');
    throw new ApiError('bad_request', `${where} ${issue.keys.join(', ')}: not a known field${known ? `; expected ${known}` : ''}`);
  }
  const path = issue?.path.map(String).join('.') ?? '';
  if (path === '') throw new ApiError('bad_request', `${where === 'body field' ? 'request body' : where}: ${issue?.message ?? 'invalid'}`);
  throw new ApiError('bad_request', `${where} ${path}: ${issue?.message ?? 'invalid'}`);
}

/** The parsed query string, or a 400 naming the first bad parameter. */
export function parseQuery<T extends z.ZodType>(schema: T, query: unknown): z.infer<T> {
  return parse(schema, query, 'query parameter');
}

/** The parsed JSON body, or a 400 naming the first bad field; a missing body is an empty one, so each required field is named. */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  return parse(schema, body ?? {}, 'body field');
}

/** The parsed path parameters, or a 400 naming the bad one. */
export function parseParams<T extends z.ZodType>(schema: T, params: unknown): z.infer<T> {
  return parse(schema, params, 'path parameter');
}
