// The compiled item schemas against the schemas of record: the same verdict,
// output and issues for fixtures and for generated items, hostile ones among
// them. STRIX_FUZZ_CASES and STRIX_FUZZ_SEED change the count per schema and
// the seed (fixed, so a failure reproduces).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { z } from 'zod';
import { IncomingEvent, IngestLimits as L, MetricPhases, MetricPoint, TrackEvent } from '@strix/contracts';
import { itemSchemas } from './item-schemas.ts';

const cases = Number(process.env.STRIX_FUZZ_CASES ?? 3_000);
const seed = Number(process.env.STRIX_FUZZ_SEED ?? 20_240_501);
const now = Date.now();

const pairs = [
  ['log', IncomingEvent, itemSchemas.log],
  ['track', TrackEvent, itemSchemas.track],
  ['metric', MetricPoint, itemSchemas.metric],
] as const;

/** Every object and array inside a value: the compiled output must share none with its input. */
function containers(value: unknown, out = new Set<object>()): Set<object> {
  if (typeof value !== 'object' || value === null || out.has(value)) return out;
  out.add(value);
  for (const inner of Object.values(value)) containers(inner, out);
  return out;
}

function assertAgree(runtime: z.ZodType, compiled: z.ZodType, input: unknown): void {
  const expected = runtime.safeParse(input);
  const actual = compiled.safeParse(input);
  assert.equal(actual.success, expected.success, 'accept or refuse');
  if (expected.success) {
    assert.deepStrictEqual(actual.data, expected.data);
    const inputs = containers(input);
    for (const part of containers(actual.data)) assert.ok(!inputs.has(part), 'output shares an object with the input');
  } else {
    assert.deepStrictEqual(actual.error?.issues, expected.error.issues);
  }
}

/*
 * Items are built from values that mostly pass (so the generated parser's
 * accepting path is exercised, not only its refusals), then zero to three of
 * their fields, or new keys, are set to hostile values.
 */

const shortText = fc.oneof(
  { weight: 6, arbitrary: fc.string({ minLength: 1, maxLength: 12 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', '\ud800', 'a\udfffb', '😀', '\u0000', '\ufeff') },
);

/** Text as long as `n` code points: ASCII, surrogate pairs, lone surrogates, two-byte characters. */
const atLength = (n: number) => fc.constantFrom('a', '😀', '\ud800', 'é').map((c) => c.repeat(n));
/** Text for a field of at most `max` characters: short mostly, now and then at the limit. */
const textUpTo = (max: number) => fc.oneof({ weight: 12, arbitrary: shortText }, { weight: 1, arbitrary: fc.constantFrom(max - 1, max).chain(atLength) });
const idText = textUpTo(L.maxIdChars);
const shortField = textUpTo(L.maxShortFieldChars);

/** Object keys: plain, prototype names, numeric; now and then empty, malformed or at and past the key limits. */
const key = fc.oneof(
  { weight: 16, arbitrary: fc.string({ minLength: 1, maxLength: 8 }) },
  { weight: 3, arbitrary: fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', '0', '01', '-0', '1e3', '\u0000', '\ud800') },
  { weight: 1, arbitrary: fc.constantFrom('', ...[49, 50, 51, 127, 128, 129].flatMap((n) => ['k'.repeat(n), '😀'.repeat(n)])) },
);

/**
 * An object from entries, every key an own data property: `__proto__` included,
 * as JSON.parse makes it (an object literal would set the prototype instead).
 */
const objectOf = (entries: [string, unknown][]): Record<string, unknown> => Object.fromEntries(entries);

const finite = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.constantFrom(0, -0, -1, Number.MIN_VALUE, 1e308, 2 ** 53));

/** Values of the wrong type, at and past numeric limits, malformed or huge text, odd objects. */
const hostileScalar = fc.constantFrom<unknown>(
  undefined, null, true, false, 0, -0, -1, 1.5, NaN, Infinity, -Infinity, 1e308, Number.MIN_VALUE, 2 ** 53, 2 ** 53 - 1, -(2 ** 53), 4102444800001,
  '', ' ', '__proto__', 'constructor', 'toString', '\ud800', 'a\udfffb', '\udc00\ud800', '\u0000', '𝕊', 'bogus', 'x'.repeat(200_000),
  '2024-01-01T00:00:00', '2024-01-01 00:00:00Z', '2024-01-01t00:00:00z', '2024-02-30T00:00:00Z', '2024-01-01T24:00:00Z', '2024-01-01T00:00:00+0200', '2024-01-01',
);
const limits = [L.maxUserPropertyValueChars, L.maxIdChars, L.maxNameChars, L.maxShortFieldChars, L.maxFrameFieldChars, L.maxAttributeValueChars, L.maxMessageChars];
const hostileValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    hostileScalar,
    fc.constantFrom(...limits).chain((max) => atLength(max + 1)),
    shortText,
    fc.double(),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.array(fc.tuple(key, tie('value')), { maxLength: 4 }).map(objectOf),
    fc.constantFrom<unknown>(Object.create(null), Object.assign(Object.create(null), { message: 'm', name: 'n', value: 1 }), new Date(now), new Map([['a', 1]]), [[]]),
  ),
})).value;

/** A map field (attributes, tags, props, experiments, $set): a few keys mostly, now and then about as many as the limit allows. */
const mapOf = (value: fc.Arbitrary<unknown>) => {
  const entry = fc.oneof({ weight: 30, arbitrary: value }, { weight: 1, arbitrary: hostileValue });
  return fc.oneof(
    { weight: 8, arbitrary: fc.array(fc.tuple(key, entry), { maxLength: 6 }).map(objectOf) },
    { weight: 1, arbitrary: fc.integer({ min: 49, max: 51 }).chain((n) => fc.array(entry, { minLength: n, maxLength: n }).map((vs) => objectOf(vs.map((v, i) => [`k${i}`, v])))) },
  );
};
const attributes = mapOf(fc.oneof(textUpTo(L.maxAttributeValueChars), finite, fc.boolean(), fc.constant(null)));
const userProperties = mapOf(fc.oneof(textUpTo(L.maxUserPropertyValueChars), finite, fc.boolean()));

const frame = fc.record(
  {
    function: textUpTo(L.maxFrameFieldChars), module: textUpTo(L.maxFrameFieldChars), filename: textUpTo(L.maxFrameFieldChars), abs_path: textUpTo(L.maxFrameFieldChars),
    lineno: fc.oneof(fc.nat(), fc.constantFrom(2 ** 53 - 1, 2 ** 53, -1, 1.5)),
    colno: fc.nat(),
    in_app: fc.boolean(),
    context_line: shortText,
  },
  { requiredKeys: [] },
);
const exception = fc.record(
  {
    type: textUpTo(L.maxExceptionTypeChars),
    value: textUpTo(L.maxMessageChars),
    stacktrace: fc.record({
      frames: fc.oneof(
        { weight: 8, arbitrary: fc.array(frame, { maxLength: 4 }) },
        { weight: 1, arbitrary: fc.constantFrom(L.maxStackFrames, L.maxStackFrames + 1).map((n) => Array.from({ length: n }, (_, i) => ({ function: `f${i}`, lineno: i }))) },
      ),
    }),
  },
  { requiredKeys: [] },
);
const fingerprint = fc.oneof(
  { weight: 4, arbitrary: fc.array(textUpTo(L.maxFingerprintPartChars), { minLength: 1, maxLength: 3 }) },
  { weight: 1, arbitrary: fc.constantFrom(0, L.maxFingerprintParts, L.maxFingerprintParts + 1).map((n) => Array.from({ length: n }, (_, i) => `k${i}`)) },
);

const dayMs = 86_400_000;
const timestamp = fc.oneof(
  fc.integer({ min: now - 40 * dayMs, max: now + 3_600_000 }),
  fc.date({ min: new Date(now - 40 * dayMs), max: new Date(now + 3_600_000), noInvalidDate: true }).map((d) => d.toISOString()),
  fc.constantFrom(0, Number.MAX_SAFE_INTEGER, '2024-01-01T00:00:00+02:00', '2024-01-01T00:00:00.123456789Z', '2024-01-01T00:00Z', '+275760-09-13T00:00:00Z'),
);
const level = fc.constantFrom('debug', 'trace', 'verbose', 'info', 'INFO', 'notice', 'log', ' Warning ', 'warn', 'error', 'err', 'fatal', 'critical', 'bogus', '__proto__', 'constructor', 'hasOwnProperty');
const phase = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...MetricPhases) }, { weight: 1, arbitrary: fc.constantFrom('Start', '', 'constructor') });

/** Fields every item shares (EventContext). */
const contextFields = {
  client_event_id: idText, session_id: idText, user_id: idText, screen_name: shortField,
  experiments: mapOf(shortField), environment: shortField, os_version: shortField, app_version: shortField, build_number: shortField,
  device_model: shortField, locale: shortField, country: shortField, is_dev: fc.boolean(),
  $set: userProperties, $set_once: userProperties, timestamp,
};

/** Items shaped by the schema's fields with zero to three fields (or new keys) set to hostile values; now and then a hostile value alone. */
function itemsFor(fields: Record<string, fc.Arbitrary<unknown>>, required: string[]): fc.Arbitrary<unknown> {
  const mutation = fc.tuple(fc.oneof(fc.constantFrom(...Object.keys(fields)), key), hostileValue);
  const mutations = fc.oneof({ weight: 2, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.array(mutation, { minLength: 1, maxLength: 3 }) });
  const shaped = fc
    .tuple(fc.record(fields, { requiredKeys: required }), mutations)
    .map(([item, changes]) => objectOf([...Object.entries(item), ...changes]));
  return fc.oneof({ weight: 12, arbitrary: shaped }, { weight: 1, arbitrary: hostileValue });
}

const generated = {
  log: itemsFor(
    { ...contextFields, level, message: textUpTo(L.maxMessageChars), name: textUpTo(L.maxNameChars), source_module: shortField, attributes, fingerprint, exception },
    ['message'],
  ),
  track: itemsFor({ ...contextFields, name: textUpTo(L.maxNameChars), props: attributes, path: textUpTo(L.maxPathChars) }, ['name']),
  metric: itemsFor(
    {
      ...contextFields, name: textUpTo(L.maxNameChars), phase, value: finite, unit: shortField,
      tracking_id: idText, duration_ms: fc.oneof(fc.double({ min: 0, noNaN: true, noDefaultInfinity: true }), fc.constantFrom(-0, -1)), error: textUpTo(L.maxMessageChars), tags: attributes, trace_id: idText, span_id: idText,
    },
    ['name'],
  ),
};

/** Items the edge tests and benchmarks send, accepted and refused. */
const fixtures: unknown[] = [
  { message: 'User 1 not found', level: 'error', session_id: 's1', user_id: 'u1', timestamp: new Date(now).toISOString(), attributes: { k: 'v' } },
  {
    client_event_id: 'b-00000001-3', session_id: 's-3', user_id: 'u-3', level: 'info', name: 'tap', message: 'user navigated to a screen', screen_name: 'Home',
    app_version: '2.3.1', os_version: '17.4', device_model: 'iPhone15,3', environment: 'production', timestamp: now, attributes: { plan: 'pro', cohort: '3' },
  },
  { message: 'boom', fingerprint: ['{{ default }}', 'tenant-a'] },
  { message: 'boom', exception: { type: 'TypeError', value: 'x', stacktrace: { frames: [{ function: 'load', filename: 'src/a.ts', lineno: 3, colno: 9, in_app: true, context_line: 'x' }] } } },
  { message: 'boom', exception: { stacktrace: {} } },
  { message: 'm', level: 'constructor' },
  { message: 'a\u0000b \uffff 😀', attributes: { '': 'empty key', 'k\u0000': 'v' } },
  { message: 'x', $set: { plan: 'pro' }, user_id: 'u' },
  { name: 'cart.add', props: { sku: 'A-1', n: 2 }, user_id: 'u1', session_id: 's1', $set: { plan: 'pro' } },
  { name: '$pageview', path: '/users/42/settings' },
  { name: 'checkout', value: 12.5, unit: 'ms', tags: { a: 'b' } },
  { name: 'load', phase: 'start', tracking_id: 't1' },
  { name: 'load', phase: 'complete', tracking_id: 't1', duration_ms: 30 },
  { name: 'load', phase: 'fail', tracking_id: 't1', error: 'timeout' },
  { name: 'load' },
  { name: 'load', phase: 'start' },
  {},
  null,
  [],
  'text',
  JSON.parse('{"message":"m","__proto__":{"level":"bogus"},"attributes":{"__proto__":5},"experiments":{"__proto__":"x"}}'),
];

describe('the compiled item schemas', () => {
  it('all compile (one zod could not compile would quietly fall back to the interpreter)', () => {
    for (const [, runtime] of pairs) assert.doesNotThrow(() => z.compile(runtime, { strict: true }));
  });

  for (const [kind, runtime, compiled] of pairs) {
    it(`agree with ${kind}'s schema on the fixtures`, () => {
      for (const item of fixtures) assertAgree(runtime, compiled, item);
    });

    it(`agree with ${kind}'s schema on ${cases} generated items`, () => {
      fc.assert(
        fc.property(fc.oneof(generated[kind], generated.log, generated.track, generated.metric), (item) => assertAgree(runtime, compiled, item)),
        { numRuns: cases, seed },
      );
    });
  }
});
