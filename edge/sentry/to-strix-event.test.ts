import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IngestLimits, type LogEvent } from '@strix/contracts';
import { validateEvents } from '../validate-events.ts';
import { breadcrumbTrail, truncateText } from './attributes.ts';
import { isKeptEventType, parseSentryEvent, type SentryEvent } from './sentry-event.ts';
import { describeRefusal, parseRelease, toStrixEvent } from './to-strix-event.ts';

const now = Date.now();
const seconds = now / 1000;

/** An error event as @sentry/node 11 sends it (trimmed): a TypeError caused by another error. */
const nodeError = {
  event_id: 'f0bb081c64bd4595836892cbed7a3c98',
  level: 'error',
  platform: 'node',
  timestamp: seconds,
  environment: 'staging',
  release: 'shop@1.2.3+45',
  dist: '77',
  server_name: 'vm',
  exception: {
    values: [
      { type: 'Error', value: 'root cause', mechanism: { handled: true, type: 'chained', source: 'cause', exception_id: 1, parent_id: 0 } },
      {
        type: 'TypeError',
        value: 'cart is empty',
        stacktrace: {
          frames: [
            { filename: 'node:internal/process/task_queues', module: 'task_queues', function: 'process.processTicksAndRejections', lineno: 81, colno: 21, in_app: false },
            {
              filename: '/srv/shop/src/cart.js',
              module: 'cart',
              function: 'checkout',
              lineno: 23,
              colno: 34,
              in_app: true,
              pre_context: ['const a = 1;'],
              context_line: 'throw new TypeError("cart is empty")',
              post_context: ['}'],
            },
          ],
        },
        mechanism: { handled: false, type: 'onuncaughtexception', exception_id: 0 },
      },
    ],
  },
  contexts: {
    trace: { trace_id: 'c1d1b4f6961d4cdc8eec01f04b8f91a5', span_id: 'ab315581fc0d8565' },
    runtime: { name: 'node', version: 'v20.20.2' },
    os: { kernel_version: '6.1.0', name: 'Debian', version: '12.11\n' },
    device: { arch: 'x64', processor_count: 2 },
    culture: { locale: 'en-US', timezone: 'UTC' },
  },
  sdk: { name: 'sentry.javascript.node', version: '11.12.0', integrations: ['Dedupe'] },
  tags: { checkout_step: 'payment', retries: 3 },
  user: { id: 42, email: 'ann@example.com', username: 'ann', ip_address: '{{auto}}', geo: { country_code: 'FR' } },
  breadcrumbs: [{ timestamp: seconds - 1, category: 'cart', message: 'added item', level: 'info', data: { sku: 'x' } }],
  extra: { order: { id: 7 } },
  modules: { fastify: '5.0.0' },
};

function sentry(raw: unknown): SentryEvent {
  const event = parseSentryEvent(raw);
  if (typeof event === 'string') assert.fail(event);
  return event;
}

/** The mapped event after `/v1/ingest`'s own validation, as it goes to the log. */
function stored(raw: unknown): LogEvent {
  const batch = validateEvents([toStrixEvent(sentry(raw)).event], now);
  assert.deepEqual(batch.errors, []);
  const [event] = batch.accepted;
  assert.ok(event);
  return event;
}

/** Why the mapped event is refused, in Sentry's field names. */
function refusal(raw: unknown): string {
  const mapped = toStrixEvent(sentry(raw));
  const [error] = validateEvents([mapped.event], now).errors;
  assert.ok(error, 'expected a refusal');
  return describeRefusal(error.message, mapped.origins);
}

describe('Sentry events as Strix events', () => {
  it('maps an @sentry/node error: the raised exception with its frames, who, where, which release', () => {
    const event = stored(nodeError);
    assert.equal(event.event_id, 'f0bb081c64bd4595836892cbed7a3c98');
    assert.equal(event.ts, Math.round(now));
    assert.equal(event.level, 'error');
    assert.equal(event.message, 'cart is empty');
    assert.equal(event.exception?.type, 'TypeError', 'the last value is the error raised; earlier ones are its causes');
    assert.deepEqual(event.exception?.stacktrace?.frames, [
      { filename: 'node:internal/process/task_queues', module: 'task_queues', function: 'process.processTicksAndRejections', lineno: 81, colno: 21, in_app: false },
      { filename: '/srv/shop/src/cart.js', module: 'cart', function: 'checkout', lineno: 23, colno: 34, in_app: true },
    ]);
    assert.deepEqual(
      [event.app_version, event.build_number, event.environment, event.user_id, event.os_version, event.locale, event.device_model],
      ['1.2.3', '45', 'staging', '42', 'Debian 12.11', 'en-US', undefined],
    );
    assert.deepEqual(event.attributes, {
      checkout_step: 'payment',
      retries: 3,
      'user.email': 'ann@example.com',
      'user.username': 'ann',
      'user.geo.country_code': 'FR',
      handled: false,
      mechanism: 'onuncaughtexception',
      causes: 'Error: root cause',
      runtime: 'node v20.20.2',
      trace_id: 'c1d1b4f6961d4cdc8eec01f04b8f91a5',
      platform: 'node',
      server_name: 'vm',
      sdk: 'sentry.javascript.node/11.12.0',
      breadcrumbs: JSON.stringify([{ timestamp: new Date((seconds - 1) * 1000).toISOString(), category: 'cart', level: 'info', message: 'added item', data: { sku: 'x' } }]),
      'extra.order': '{"id":7}',
    });
  });

  it('maps messages: captureMessage, logentry, the store protocol’s forms, and an event with nothing to say', () => {
    const message = stored({ event_id: '186961640c03452cb49b2c51539f783a', level: 'warning', message: 'payment declined', timestamp: seconds });
    assert.deepEqual([message.level, message.message, message.exception], ['warn', 'payment declined', undefined]);

    // captureMessage with attachStacktrace: a synthetic exception holds the stack, the message stays the text.
    const withStack = stored({
      level: 'fatal',
      message: 'queue stalled',
      exception: { values: [{ value: 'queue stalled', stacktrace: { frames: [{ function: 'drain', filename: 'app/queue.js', in_app: true }] }, mechanism: { type: 'generic', synthetic: true } }] },
    });
    assert.deepEqual([withStack.level, withStack.message, withStack.exception?.stacktrace?.frames[0]?.function], ['error', 'queue stalled', 'drain']);

    assert.equal(stored({ logentry: { message: 'user %s failed', params: ['x'], formatted: 'user x failed' } }).message, 'user x failed');
    const store = stored({ message: { message: 'raw %s' }, tags: [['plan', 'pro']], exception: [{ type: 'KeyError', value: '' }], level: 'error' });
    assert.deepEqual([store.message, store.exception?.type, store.attributes], ['raw %s', 'KeyError', { plan: 'pro' }]);
    assert.deepEqual([stored({}).message, stored({}).level], ['<unlabeled event>', 'error']);
    assert.equal(stored({ exception: { values: [{ type: 'Panic' }] } }).message, 'Panic');
  });

  it('keeps errors and messages, not transactions, feedback or reports', () => {
    assert.deepEqual(['error', 'default', undefined, null, 'transaction', 'feedback', 'csp'].map(isKeptEventType), [true, true, true, true, false, false, false]);
  });

  it('reads releases as package@version+build where they look like one', () => {
    assert.deepEqual(parseRelease('shop@1.2.3+45'), { version: '1.2.3', build: '45' });
    assert.deepEqual(parseRelease('@acme/web@v2.0.0-rc.1'), { version: 'v2.0.0-rc.1' });
    assert.deepEqual(parseRelease('1.4.0+2024.05.01'), { version: '1.4.0', build: '2024.05.01' });
    assert.deepEqual(parseRelease('d3b07384d113edec49eaa6238ad5ff00'), { version: 'd3b07384d113edec49eaa6238ad5ff00' });
    assert.deepEqual(parseRelease('shop@main+dirty'), { version: 'main+dirty' });
    assert.deepEqual(parseRelease('shop@'), { version: 'shop@' });
    const noBuild = stored({ release: 'shop@1.2.3', dist: '77' });
    assert.deepEqual([noBuild.app_version, noBuild.build_number], ['1.2.3', '77'], 'dist is the build when the release has none');
  });

  it('reads times as float seconds or ISO (no zone is UTC), and moves back the times of a clock running ahead', () => {
    const at = (timestamp: unknown, clockAheadMs = 0) => toStrixEvent(sentry({ timestamp }), { clockAheadMs }).event.timestamp;
    assert.equal(at(1714564800.25), 1714564800250);
    assert.equal(at('1714564800.5'), 1714564800500);
    assert.equal(at('2024-05-01T12:00:00.123456'), Date.parse('2024-05-01T12:00:00.123Z'));
    assert.equal(at('2024-05-01T12:00:00+02:00'), Date.parse('2024-05-01T10:00:00Z'));
    assert.equal(at(1714564800, 600_000), 1714564800000 - 600_000);
    assert.equal(at('yesterday'), 'yesterday', 'passed on for validation to refuse');
  });

  it('takes the envelope’s event id for an event without one, and spells UUIDs as Sentry does', () => {
    assert.equal(toStrixEvent(sentry({}), { eventId: '9EC79C33-EC99-42AB-8353-589FCB2E04DC' }).event.client_event_id, '9ec79c33ec9942ab8353589fcb2e04dc');
    assert.match(String(toStrixEvent(sentry({})).event.client_event_id), /^[0-9a-f]{32}$/, 'minted in Sentry’s form');
  });

  it('refuses what /v1/ingest refuses, naming the Sentry field', () => {
    assert.equal(refusal({ release: `shop@${'9'.repeat(300)}` }), `release: must be at most ${IngestLimits.maxShortFieldChars} characters`);
    assert.equal(refusal({ user: { id: 'u'.repeat(200) } }), `user.id: must be at most ${IngestLimits.maxIdChars} characters`);
    assert.equal(refusal({ level: 'loud' }), 'level: must be one of debug, info, warn, error');
    assert.equal(refusal({ timestamp: seconds + 3600 }), 'timestamp: more than 5 minutes in the future');
    assert.match(refusal({ timestamp: 'yesterday' }), /^timestamp: /);
    assert.equal(refusal({ fingerprint: Array.from({ length: 11 }, (_, i) => `p${i}`) }), `fingerprint: must contain at most ${IngestLimits.maxFingerprintParts} entries`);
    assert.equal(
      refusal({ exception: { values: [{ type: 'A' }, { type: 'E'.repeat(201), value: 'v' }] } }),
      `exception.values[1].type: must be at most ${IngestLimits.maxExceptionTypeChars} characters`,
    );
    // 120 frames: Strix keeps the innermost 100, so its frame 3 is Sentry's frame 23.
    const frames = Array.from({ length: 120 }, (_, i) => ({ function: i === 23 ? 'bad\ud800' : `f${i}`, filename: 'app.js' }));
    assert.equal(
      refusal({ exception: { values: [{ type: 'E', stacktrace: { frames } }] } }),
      'exception.values[0].stacktrace.frames[23].function: must be well-formed Unicode text (lone surrogate \\ud800)',
    );
    assert.equal(refusal({ stacktrace: { frames: [{ function: '\udc00' }] } }), 'stacktrace.frames[0].function: must be well-formed Unicode text (lone surrogate \\udc00)');
    assert.equal(refusal({ user: { id: 'u', email: 'a\ud800' } }), 'user.email: must be well-formed Unicode text (lone surrogate \\ud800)');
    assert.equal(refusal({ tags: { 'k\ud800': 'v' } }), 'tags.k\ud800: keys must be well-formed Unicode text (lone surrogate \\ud800)');
  });

  it('refuses a field of the wrong type when reading the event, naming it', () => {
    assert.equal(parseSentryEvent({ release: 12 }), 'release: Invalid input: expected string, received number');
    assert.equal(
      parseSentryEvent({ exception: { values: [{ stacktrace: { frames: [{ in_app: 'yes' }] } }] } }),
      'exception.values[0].stacktrace.frames[0].in_app: Invalid input: expected boolean, received string',
    );
    assert.equal(parseSentryEvent([1]), 'event: must be a JSON object (a Sentry event)');
    // Decoration never refuses an event: a malformed context, breadcrumb list or line number is left out.
    const odd = stored({ contexts: 'x', breadcrumbs: 7, sdk: [], tags: 'plan:pro', exception: { values: [{ type: 'E', stacktrace: { frames: [{ function: 'f', lineno: '12', colno: -1 }] } }] } });
    assert.deepEqual([odd.attributes, odd.exception?.stacktrace?.frames], [undefined, [{ function: 'f' }]]);
  });

  it('keeps attributes within Strix’s limits, tags first, rather than refuse the error', () => {
    const tags = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`tag${i}`, `v${i}`]));
    const many = stored({ tags: { ...tags, ['k'.repeat(129)]: 'too long a key', long: 'x'.repeat(3000) }, user: { id: 'u', email: 'e@x' } });
    const keys = Object.keys(many.attributes ?? {});
    assert.equal(keys.length, IngestLimits.maxAttributes);
    assert.deepEqual(keys.slice(0, 3), ['tag0', 'tag1', 'tag2']);
    assert.ok(!keys.includes('user.email'), 'tags claim the budget first');
    const long = stored({ tags: { long: `${'x'.repeat(2047)}😀` } }).attributes?.long;
    assert.equal(long, 'x'.repeat(2047), 'cut before the pair, not inside it');
    const frames = Array.from({ length: 150 }, (_, i) => ({ function: `f${i}`, filename: 'y'.repeat(600) }));
    const deep = stored({ exception: { values: [{ type: 'E', stacktrace: { frames } }] } }).exception?.stacktrace?.frames ?? [];
    assert.deepEqual([deep.length, deep[0]?.function, deep[99]?.function, deep[0]?.filename?.length], [100, 'f50', 'f149', IngestLimits.maxFrameFieldChars]);
  });

  it('keeps the most recent breadcrumbs that fit one attribute, oldest first', () => {
    const crumbs = Array.from({ length: 100 }, (_, i) => ({ timestamp: seconds + i, category: 'ui.click', message: `step ${i}`, data: { big: 'd'.repeat(i === 99 ? 400 : 10) } }));
    const trail = breadcrumbTrail(crumbs) ?? '';
    assert.ok(trail.length <= IngestLimits.maxAttributeValueChars, `${trail.length}`);
    const kept = JSON.parse(trail) as { message: string; data?: unknown }[];
    assert.equal(kept.at(-1)?.message, 'step 99');
    assert.equal(kept.at(-1)?.data, undefined, 'a crumb too big keeps its message, not its data');
    assert.deepEqual(kept.at(-2)?.data, { big: 'd'.repeat(10) });
    assert.ok(kept.length > 10 && kept.length < 100);
    const huge = JSON.parse(breadcrumbTrail([{ message: '"'.repeat(5000) }]) ?? '') as { message: string }[];
    assert.ok(huge[0] && huge[0].message.length > 900 && JSON.stringify(huge).length <= IngestLimits.maxAttributeValueChars);
    assert.equal(breadcrumbTrail([{ level: 'info' }]), undefined, 'a crumb without message, category or data says nothing');
    assert.equal(truncateText('ab😀', 3), 'ab');
  });
});
