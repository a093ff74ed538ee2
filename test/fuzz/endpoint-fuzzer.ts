/**
 * Runs generated requests against one endpoint and checks what must hold for
 * any input: no 5xx, every 4xx body is `{error, message}`, every request is
 * answered within a bound, and the app is still ready after each batch.
 *
 * Cases are drawn with `fc.sample` and sent several at a time (a property run
 * sends one at a time, and this suite is bounded by its wall time); a failure
 * is reported with the seed and batch that reproduce it.
 */
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { exampleBodies, payloadFor, pathValue, queryString, type Payload } from './arbitraries.ts';
import { fuzzKeys, type FuzzApp, type FuzzRoute } from './fuzz-app.ts';

export interface FuzzOptions {
  cases: number;
  seed: number;
  batch?: number;
  concurrency?: number;
  /** A request not answered in this long counts as hung. */
  timeoutMs?: number;
}

export interface EndpointReport {
  endpoint: string;
  cases: number;
  ms: number;
  statuses: Record<number, number>;
  failures: number;
  /** The first few failures, each with what was sent. */
  examples: string[];
}

interface Case {
  url: string;
  auth: string | undefined;
  payload: Payload | undefined;
}

const withBody = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);

function caseArbitrary(route: FuzzRoute, existing: Record<string, string[]>): fc.Arbitrary<Case> {
  const segments = route.url.split('/').map((segment) => {
    if (segment === '*') return pathValue(existing['*'] ?? []).map(encodeSegment);
    if (segment.startsWith(':')) return pathValue(existing[segment.slice(1)] ?? []).map(encodeSegment);
    return fc.constant(segment);
  });
  const key = route.keyType ? fuzzKeys[route.keyType] : undefined;
  const auth: fc.Arbitrary<string | undefined> = fc.oneof(
    { weight: 30, arbitrary: fc.constant(key && `Bearer ${key}`) },
    { weight: 1, arbitrary: fc.constantFrom(undefined, 'Bearer nope', 'Basic eDp5', `Bearer ${fuzzKeys.agent === key ? fuzzKeys.client : fuzzKeys.agent}`) },
  );
  const example = exampleBodies[`${route.method} ${route.url}`] ?? {};
  const payload: fc.Arbitrary<Payload | undefined> = withBody.has(route.method)
    ? fc.oneof({ weight: 12, arbitrary: payloadFor(example) }, { weight: 1, arbitrary: fc.constant(undefined) })
    : fc.constant(undefined);
  return fc.record({
    url: fc.tuple(fc.tuple(...segments), fc.option(queryString, { freq: 3 })).map(([path, query]) => `${path.join('/')}${query === null ? '' : `?${query}`}`),
    auth,
    payload,
  });
}

/** `encodeLoose` keeps `%` sequences of a generated value literal, so the route sees the value itself. */
function encodeSegment(value: string): string {
  return value.replace(/[^A-Za-z0-9._~:@!$&'()*+,;=-]/gu, (ch) => (ch.length === 1 && /[\ud800-\udfff]/.test(ch) ? '%ED%A0%80' : encodeURIComponent(ch)));
}

function describeCase(route: FuzzRoute, c: Case): string {
  const body = c.payload === undefined ? '' : c.payload.kind === 'json' ? JSON.stringify(c.payload.body) ?? 'undefined' : `raw(${c.payload.contentType}) ${c.payload.bytes.toString('hex')}`;
  return `${route.method} ${c.url.slice(0, 300)} auth=${c.auth ?? 'none'} body=${body.slice(0, 400)}`;
}

function send(fuzz: FuzzApp, route: FuzzRoute, c: Case, timeoutMs: number): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> = {};
  if (c.auth) headers.authorization = c.auth;
  let payload: string | Buffer | undefined;
  if (c.payload?.kind === 'json') {
    headers['content-type'] = 'application/json';
    // undefined (a deleted root) is sent as an empty body.
    payload = JSON.stringify(c.payload.body) ?? '';
  } else if (c.payload?.kind === 'raw') {
    headers['content-type'] = c.payload.contentType;
    payload = c.payload.bytes;
  }
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
  });
  const answer = fuzz.app.inject({ method: route.method as 'GET', url: c.url, headers, ...(payload !== undefined && { payload }) });
  return Promise.race([answer, hung]).finally(() => clearTimeout(timer));
}

function isErrorBody(body: unknown): boolean {
  const fields = body && typeof body === 'object' && !Array.isArray(body) ? Object.entries(body) : [];
  return fields.length === 2 && fields.every(([k, v]) => (k === 'error' || k === 'message') && typeof v === 'string' && v.length > 0);
}

/** The batch endpoints' documented 400: no item accepted, each refusal named by index. */
function isBatchRejection(body: unknown): boolean {
  if (!body || typeof body !== 'object') return false;
  const { accepted, rejected, errors } = body as { accepted?: unknown; rejected?: unknown; errors?: unknown };
  return (
    accepted === 0 &&
    typeof rejected === 'number' &&
    Array.isArray(errors) &&
    errors.length > 0 &&
    errors.every((e: { index?: unknown; message?: unknown }) => typeof e.index === 'number' && typeof e.message === 'string')
  );
}

/** The job routes' documented 409: `{error, message}` and the id of the run under way. */
function isActiveRunConflict(body: unknown): boolean {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return false;
  const { active_run_id: active, ...rest } = body as { active_run_id?: unknown };
  return typeof active === 'string' && active.length > 0 && isErrorBody(rest);
}

/** Why the answer breaks the contract, or undefined. */
function contractBreach(res: LightMyRequestResponse): string | undefined {
  if (res.statusCode >= 500) return `answered ${res.statusCode}: ${res.body.slice(0, 300)}`;
  if (res.statusCode < 400) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(res.body);
  } catch {
    return `answered ${res.statusCode} with a body that is not JSON: ${res.body.slice(0, 200)}`;
  }
  return isErrorBody(body) || (res.statusCode === 400 && isBatchRejection(body)) || (res.statusCode === 409 && isActiveRunConflict(body))
    ? undefined
    : `answered ${res.statusCode} with a body that is not {error, message}: ${res.body.slice(0, 200)}`;
}

export async function fuzzEndpoint(fuzz: FuzzApp, route: FuzzRoute, options: FuzzOptions): Promise<EndpointReport> {
  const { cases, seed, batch = 1000, concurrency = 8, timeoutMs = 10_000 } = options;
  const arbitrary = caseArbitrary(route, fuzz.existing);
  const report: EndpointReport = { endpoint: `${route.method} ${route.url}`, cases: 0, ms: 0, statuses: {}, failures: 0, examples: [] };
  const fail = (what: string) => {
    report.failures++;
    if (report.examples.length < 5) report.examples.push(what);
  };
  const started = performance.now();
  for (let offset = 0; offset < cases; offset += batch) {
    const batchSeed = seed + offset;
    const drawn = fc.sample(arbitrary, { numRuns: Math.min(batch, cases - offset), seed: batchSeed });
    let next = 0;
    const worker = async () => {
      while (next < drawn.length) {
        const c = drawn[next++] as Case;
        try {
          const res = await send(fuzz, route, c, timeoutMs);
          report.statuses[res.statusCode] = (report.statuses[res.statusCode] ?? 0) + 1;
          const breach = contractBreach(res);
          if (breach) fail(`${describeCase(route, c)} ${breach} (seed ${batchSeed})`);
        } catch (error) {
          fail(`${describeCase(route, c)} ${String(error)} (seed ${batchSeed})`);
        }
        report.cases++;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const ready = await fuzz.app.inject({ method: 'GET', url: '/readyz' });
    if (ready.statusCode !== 200) fail(`/readyz answered ${ready.statusCode} after the batch of seed ${batchSeed}: ${ready.body}`);
  }
  report.ms = performance.now() - started;
  return report;
}
