/**
 * What the endpoint fuzzer sends: arbitrary JSON, bodies shaped like valid
 * requests with one part mutated, raw bytes that are not JSON or not UTF-8,
 * and query strings over the API's parameter names with hostile values.
 */
import fc from 'fast-check';

const dayMs = 86_400_000;
const now = Date.now();

/** Values that break naive code: wrong types, extremes, NaN-like text, invalid Unicode, depth. */
const nastyScalar: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, false, 0, -0, -1, 1.5, 1e308, -1e308, 2 ** 53, -(2 ** 53), 2 ** 63, 9e15, 4102444800001, Number.MAX_SAFE_INTEGER),
  fc.constantFrom('', ' ', 'NaN', 'Infinity', '-Infinity', '1e309', '-1', '0x10', 'null', 'undefined', 'true', '[]', '{}', '__proto__', 'constructor'),
  fc.constantFrom('\ud800', 'a\udfffb', '\udc00\ud800', '\u0000', '\u202e', '\ufeff', '\uffff', '𝕊', "'; DROP TABLE events; --", '{{ default }}', '%00', '../..'),
  fc.integer(),
  fc.double(),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom(new Date(now).toISOString(), '2100-01-01T00:00:00.001Z', '1969-12-31T23:59:59Z', '+275760-09-13T00:00:00Z', '2024-02-30'),
);

/** Strings long enough to meet every length limit, built once (building them per case dominated the suite's time). */
const longStrings = [1_000, 10_000, 200_000].flatMap((n) => ['x'.repeat(n), '\ud800'.repeat(n / 10), 'é'.repeat(n)]);
const longString = fc.constantFrom(...longStrings);

const deep = fc.integer({ min: 50, max: 2_000 }).map((depth) => {
  let v: unknown = 'bottom';
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { a: v };
  return v;
});

export const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: nastyScalar },
  { weight: 1, arbitrary: longString },
  { weight: 1, arbitrary: deep },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.array(nastyScalar, { maxLength: 5 }) },
  { weight: 1, arbitrary: fc.array(fc.constant('x'), { minLength: 101, maxLength: 300 }) },
);

/** Example valid bodies by route (`METHOD url`), the starting points of mutation; other routes start from `{}`. */
export const exampleBodies: Record<string, object> = {
  'POST /v1/ingest': { events: [{ message: 'User 1 not found', level: 'error', session_id: 's1', user_id: 'u1', timestamp: new Date(now).toISOString(), attributes: { k: 'v' } }] },
  'POST /v1/track:batch': { events: [{ name: 'cart.add', props: { sku: 'A-1', n: 2 }, user_id: 'u1', session_id: 's1', $set: { plan: 'pro' } }, { name: '$pageview', path: '/users/42/settings' }] },
  'POST /v1/metrics:batch': { points: [{ name: 'checkout', value: 12.5, unit: 'ms', tags: { a: 'b' } }, { name: 'load', phase: 'start', tracking_id: 't1' }, { name: 'load', phase: 'complete', tracking_id: 't1', duration_ms: 30 }] },
  'POST /v1/funnels/query': {
    steps: [{ event: 'signup' }, { event: 'purchase', where: [{ property: 'app_version', op: 'eq', value: '1' }] }],
    mode: 'closed', window_seconds: 3600, from: now - 7 * dayMs, to: now, breakdown: { experiment: 'paywall' }, exclusions: [{ event: 'cancel' }],
  },
  'POST /v1/funnels/trend': { steps: [{ event: 'signup' }, { event: 'purchase' }], mode: 'open', from: now - 7 * dayMs, to: now, interval: 'week' },
  'POST /v1/funnels/:id/trend': { from: new Date(now - dayMs).toISOString(), to: now, interval: 'day' },
  'POST /v1/funnels': { name: 'signup', steps: [{ event: 'signup' }, { event: 'purchase' }], mode: 'open', window_seconds: 600 },
  'PATCH /v1/funnels/:id': { name: 'renamed', window_seconds: 60 },
  'POST /v1/funnels/:id/query': { from: new Date(now - dayMs).toISOString(), to: now, data_mode: 'all' },
  'PATCH /v1/issues/:id': { status: 'resolved', resolved_at_version: '2.0.0', snoozed_until: null },
  'POST /v1/issues/:id/merge': { source_ids: ['issue-b'] },
  'POST /v1/issues/:id/comments': { body: 'looking', author: { type: 'agent', name: 'bot' } },
  'PATCH /v1/issues/:id/comments/:commentId': { body: 'edited' },
  'POST /v1/project/members': { email: 'ada@example.com', name: 'Ada' },
  'PATCH /v1/project': { name: 'Strix', issue_alert_frequency: 'daily' },
};

type Json = unknown;

/** Every path to a value inside `v` (keys and indexes). */
function paths(v: Json, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(prefix);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...prefix, i], out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) paths(x, [...prefix, k], out);
  return out;
}

function replaced(v: Json, path: (string | number)[], f: (old: Json) => Json): Json {
  if (path.length === 0) return f(v);
  const [head, ...rest] = path;
  if (Array.isArray(v)) return (v as Json[]).map((x, i) => (i === head ? replaced(x, rest, f) : x));
  if (v && typeof v === 'object') return { ...v, [head as string]: replaced((v as Record<string, Json>)[head as string], rest, f) };
  return v;
}

type Mutation = { kind: 'set'; value: unknown } | { kind: 'delete' } | { kind: 'unknown-field'; key: string; value: unknown } | { kind: 'repeat' };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 6, arbitrary: nastyValue.map((value) => ({ kind: 'set' as const, value })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'delete' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('unknown-field' as const), key: fc.oneof(fc.string(), fc.constantFrom('__proto__', 'constructor', 'is_dev', 'project_id')), value: nastyValue }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'repeat' as const }) },
);

function mutate(example: Json, path: (string | number)[], m: Mutation): Json {
  return replaced(example, path, (old) => {
    switch (m.kind) {
      case 'set':
        return m.value;
      case 'delete':
        return undefined;
      case 'unknown-field':
        return old && typeof old === 'object' && !Array.isArray(old) ? { ...old, [m.key]: m.value } : old;
      case 'repeat':
        return Array.isArray(old) ? Array.from({ length: 150 }, (): Json => (old as Json[])[0]) : [old, old];
      default: {
        const unreachable: never = m;
        return unreachable;
      }
    }
  });
}

/** A body shaped like `example` with one to three parts mutated. */
export const mutatedBody = (example: Json): fc.Arbitrary<Json> => {
  const all = paths(example);
  return fc.array(fc.tuple(fc.constantFrom(...all), mutation), { minLength: 1, maxLength: 3 }).map((ms) => ms.reduce((body, [path, m]) => mutate(body, path, m), example));
};

/** A request body as bytes on the wire: JSON of `body`, or something that is not quite JSON. */
export type Payload = { kind: 'json'; body: Json } | { kind: 'raw'; bytes: Buffer; contentType: string };

const notJson: fc.Arbitrary<Payload> = fc.oneof(
  fc.constantFrom('{', '{"events":[', 'null', '[]', '"text"', '{"a":1}{"b":2}', '{"a":01}', '\u0000', '{"__proto__":{"polluted":1}}').map((s) => Buffer.from(s)),
  // Invalid UTF-8: a WTF-8 lone surrogate, an overlong encoding, a stray continuation byte.
  fc.constantFrom(Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d]), Buffer.from([0x7b, 0x22, 0xc0, 0xaf, 0x22, 0x3a, 0x31, 0x7d]), Buffer.from([0xff, 0xfe, 0x80])),
  fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)),
).chain((bytes) => fc.constantFrom('application/json', 'application/json; charset=utf-16', 'text/plain').map((contentType): Payload => ({ kind: 'raw', bytes, contentType })));

export const payloadFor = (example: object): fc.Arbitrary<Payload> =>
  fc.oneof(
    { weight: 5, arbitrary: mutatedBody(example).map((body): Payload => ({ kind: 'json', body })) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((body): Payload => ({ kind: 'json', body })) },
    { weight: 1, arbitrary: notJson },
  );

/** Query parameter names the API reads somewhere, and plausible values: the fuzzer mixes them with unknown names. */
const knownParams: Record<string, fc.Arbitrary<string>> = {
  from: fc.constantFrom(String(now - dayMs), new Date(now - 3 * dayMs).toISOString(), '2024-01-01'),
  to: fc.constantFrom(String(now), new Date(now).toISOString()),
  limit: fc.constantFrom('1', '10', '1000'),
  cursor: fc.constantFrom('eyJ0cyI6MCwiaWQiOiJ4In0', 'e30'),
  level: fc.constantFrom('error', 'warning', 'info'),
  name: fc.constantFrom('checkout', 'screen_view'),
  user_id: fc.constant('u1'),
  session_id: fc.constant('s1'),
  app_id: fc.constant('app'),
  is_dev: fc.constantFrom('true', 'false'),
  data_mode: fc.constantFrom('production', 'development', 'all'),
  interval: fc.constantFrom('minute', 'hour', 'day'),
  group_by: fc.constantFrom('app_version', 'tag:k', 'experiment:paywall'),
  status: fc.constantFrom('open', 'resolved,ignored'),
  sort: fc.constantFrom('last_seen', 'first_seen', 'events'),
  offset: fc.constantFrom('0', '50'),
  q: fc.constant('crash'),
  occurrences: fc.constant('5'),
  property: fc.constant('plan'),
  value: fc.constant('pro'),
  after: fc.constant(''),
};

// URLs: up to 10,000 characters is long enough for any parameter limit.
const hostileText = fc
  .oneof({ weight: 8, arbitrary: nastyScalar }, { weight: 1, arbitrary: fc.constantFrom(...longStrings.filter((x) => x.length <= 10_000)) })
  .map((v) => (typeof v === 'string' ? v : String(v)));

/** Percent-encodes text as UTF-8, a lone surrogate as its WTF-8 bytes (which is not UTF-8): encodeURIComponent would throw on it. */
export function encodeLoose(text: string): string {
  if (!/[\ud800-\udfff]/.test(text)) return encodeURIComponent(text);
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (code >= 0xd800 && code <= 0xdfff) out += `%${(0xe0 | (code >> 12)).toString(16)}%${(0x80 | ((code >> 6) & 0x3f)).toString(16)}%${(0x80 | (code & 0x3f)).toString(16)}`;
    else out += encodeURIComponent(ch);
  }
  return out;
}

const param = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...Object.keys(knownParams)).chain((k) => fc.tuple(fc.constant(k), knownParams[k] as fc.Arbitrary<string>)) },
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom(...Object.keys(knownParams)), hostileText) },
  { weight: 1, arbitrary: fc.tuple(fc.string({ maxLength: 12 }), hostileText) },
);

/** A query string (repeated names included, which parse as arrays), or a raw one that no encoder would write. */
export const queryString: fc.Arbitrary<string> = fc.oneof(
  { weight: 8, arbitrary: fc.array(param, { maxLength: 6 }).map((ps) => ps.map(([k, v]) => `${encodeLoose(k)}=${encodeLoose(v)}`).join('&')) },
  { weight: 1, arbitrary: fc.constantFrom('%', '%zz', 'a=%ED%A0%80', '&&&=', 'from[]=1&from[a]=2', 'limit=1&limit=2', '__proto__[x]=1', `x=${'a'.repeat(10_000)}`) },
);

/** A path parameter: an id that exists, or anything at all. */
export const pathValue = (existing: readonly string[]): fc.Arbitrary<string> =>
  fc.oneof(
    ...(existing.length ? [{ weight: 3, arbitrary: fc.constantFrom(...existing) }] : []),
    { weight: 2, arbitrary: hostileText.filter((s) => s.length > 0) },
    { weight: 1, arbitrary: fc.constantFrom('..', '%2e%2e', '*', 'a/b', 'x'.repeat(5_000)) },
  );
