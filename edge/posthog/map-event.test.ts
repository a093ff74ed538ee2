import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mapPostHogEvent, type MappedEvent } from './map-event.ts';

const now = Date.parse('2026-03-01T12:00:00.000Z');
const map = (event: unknown, sentAt?: number) => mapPostHogEvent(event, 0, now, sentAt);

function item(mapped: MappedEvent, kind: 'track' | 'log'): Record<string, unknown> {
  assert.ok('kind' in mapped && mapped.kind === kind, JSON.stringify(mapped));
  return mapped.item;
}

/** An event as posthog-node 5 sends it. */
const nodeEvent = {
  event: 'signed_up',
  distinct_id: 'u1',
  uuid: '01a24519-f6ae-77e0-ba5d-e1fe0de44e64',
  timestamp: '2026-03-01T11:59:59.000Z',
  properties: { plan: 'pro', seats: 3, trial: false, $set: { email: 'a@example.com' }, $lib: 'posthog-node', $lib_version: '5.74.0', $is_server: true, $geoip_disable: true },
};

describe('mapPostHogEvent', () => {
  it('maps a capture: name, user, id, time, props; PostHog bookkeeping dropped, its SDK fields kept', () => {
    assert.deepEqual(item(map(nodeEvent), 'track'), {
      client_event_id: nodeEvent.uuid,
      user_id: 'u1',
      $set: { email: 'a@example.com' },
      timestamp: Date.parse(nodeEvent.timestamp),
      name: 'signed_up',
      props: { plan: 'pro', seats: 3, trial: false, $lib: 'posthog-node', $lib_version: '5.74.0' },
    });
  });

  it('maps a posthog-js $pageview: distinct id and token in properties, session, path, URLs without their query', () => {
    const mapped = item(
      map({
        event: '$pageview',
        uuid: 'e1',
        timestamp: '2026-03-01T11:59:00.000Z',
        properties: {
          token: 'strix_client_x',
          distinct_id: 'anon-1',
          $session_id: 's1',
          $window_id: 'w1',
          $device_id: 'anon-1',
          $current_url: 'https://shop.example/orders/123?code=secret#x',
          $host: 'shop.example',
          $pathname: '/orders/123',
          $referrer: 'https://mail.example/inbox?token=t',
          $os: 'Linux',
          $browser: 'Chrome',
          $device_type: 'Desktop',
          $browser_language: 'en-US',
          $ip: '203.0.113.9',
          $time: 1772366340,
          $elements: [{ tag_name: 'a' }],
          utm_source: 'newsletter',
        },
        $set_once: { $initial_person_info: { r: '$direct' }, first_visit: '2026-03-01' },
      }),
      'track',
    );
    assert.deepEqual(mapped, {
      client_event_id: 'e1',
      user_id: 'anon-1',
      session_id: 's1',
      $set_once: { first_visit: '2026-03-01' },
      timestamp: Date.parse('2026-03-01T11:59:00.000Z'),
      name: '$pageview',
      props: {
        $current_url: 'https://shop.example/orders/123',
        $host: 'shop.example',
        $pathname: '/orders/123',
        $referrer: 'https://mail.example/inbox',
        $os: 'Linux',
        $browser: 'Chrome',
        $device_type: 'Desktop',
        utm_source: 'newsletter',
      },
      path: '/orders/123',
    });
  });

  it('takes the path from the screen name, the pathname, else the URL; the context fields from theirs', () => {
    assert.equal(item(map({ event: '$screen', properties: { $screen_name: 'Cart', $pathname: '/x' } }), 'track').path, 'Cart');
    assert.equal(item(map({ event: 'x', properties: { $current_url: 'https://a.example/b/c?d=1' } }), 'track').path, '/b/c');
    assert.equal(item(map({ event: 'x', properties: { $current_url: 'https://a.example' } }), 'track').path, '/');
    const mobile = item(map({ event: 'x', properties: { $app_version: 2, $app_build: '41', $os_version: '17.4', $device_model: 'iPhone15,2', $locale: 'fr-FR' } }), 'track');
    assert.deepEqual(
      [mobile.app_version, mobile.build_number, mobile.os_version, mobile.device_model, mobile.locale],
      ['2', '41', '17.4', 'iPhone15,2', 'fr-FR'],
    );
  });

  it('merges $set from the properties and the top level (which wins), and turns objects into JSON text', () => {
    const mapped = item(map({ event: '$identify', distinct_id: 'u1', properties: { $anon_distinct_id: 'anon-1', $set: { plan: 'free', tags: ['a'] } }, $set: { plan: 'pro', $os: 'Mac' } }), 'track');
    assert.deepEqual(mapped.$set, { plan: 'pro', tags: '["a"]' });
    assert.deepEqual(mapped.props, { $anon_distinct_id: 'anon-1' });
  });

  it('maps $exception (posthog-node 5) to an error event with its frames, in order', () => {
    const mapped = item(
      map({
        event: '$exception',
        distinct_id: 'u1',
        properties: {
          $exception_list: [
            {
              type: 'TypeError',
              value: 'cart is not iterable',
              mechanism: { type: 'generic', handled: true, synthetic: false },
              stacktrace: {
                type: 'raw',
                frames: [
                  { filename: 'node:internal/process/task_queues', function: 'processTicksAndRejections', lineno: 95, colno: 5, in_app: false, platform: 'node:javascript' },
                  { filename: '/srv/app/cart.js', module: 'cart', function: 'load', lineno: 22, colno: 25, in_app: true, context_line: 'x', pre_context: ['y'], platform: 'node:javascript' },
                ],
              },
            },
            { type: 'Error', value: 'the cause' },
          ],
          $exception_level: 'error',
          $exception_fingerprint: 'cart-errors',
          extra: 1,
        },
      }),
      'log',
    );
    assert.deepEqual(mapped, {
      user_id: 'u1',
      timestamp: now,
      level: 'error',
      name: '$exception',
      message: 'cart is not iterable',
      exception: {
        type: 'TypeError',
        value: 'cart is not iterable',
        stacktrace: {
          frames: [
            { filename: 'node:internal/process/task_queues', function: 'processTicksAndRejections', lineno: 95, colno: 5, in_app: false },
            { filename: '/srv/app/cart.js', module: 'cart', function: 'load', lineno: 22, colno: 25, in_app: true },
          ],
        },
      },
      fingerprint: ['cart-errors'],
      attributes: { $exception_level: 'error', extra: 1, $exception_handled: true },
    });
  });

  it('maps the older flat $exception_type / $exception_message, and keeps the innermost 100 frames', () => {
    const frames = Array.from({ length: 120 }, (_, i) => ({ function: `f${i}`, filename: 'app.js', lineno: i }));
    const mapped = item(map({ event: '$exception', properties: { $exception_type: 'RangeError', $exception_message: 'too far', $exception_stack_trace_raw: JSON.stringify(frames) } }), 'log');
    const exception = mapped.exception as { type: string; stacktrace: { frames: { function: string }[] } };
    assert.equal(mapped.message, 'too far');
    assert.equal(exception.type, 'RangeError');
    assert.equal(exception.stacktrace.frames.length, 100);
    assert.equal(exception.stacktrace.frames.at(-1)?.function, 'f119');
    assert.equal(item(map({ event: '$exception', properties: {} }), 'log').message, 'Error');
  });

  it('computes the time as PostHog does: offset, timestamp corrected by sent_at, else the arrival', () => {
    assert.equal(item(map({ event: 'x', offset: 1500 }), 'track').timestamp, now - 1500);
    // The client's clock is 10 minutes fast: its timestamp moves by the same distance.
    const fast = now + 600_000;
    assert.equal(item(map({ event: 'x', timestamp: new Date(fast - 2000).toISOString() }, fast), 'track').timestamp, now - 2000);
    assert.equal(item(map({ event: 'x', timestamp: now - 5 }), 'track').timestamp, now - 5);
    assert.equal(item(map({ event: 'x' }), 'track').timestamp, now);
    assert.deepEqual(map({ event: 'x', timestamp: 'yesterday' }), { refusal: 'batch[0].timestamp: must be an ISO 8601 time or epoch milliseconds' });
  });

  it("keeps posthog-node's synthetic $groupidentify distinct id out of the users, but a real user's in", () => {
    const group = { $group_type: 'company', $group_key: 'c1', $group_set: { name: 'Co' } };
    const synthetic = item(map({ event: '$groupidentify', distinct_id: '$company_c1', properties: group }), 'track');
    assert.equal(synthetic.user_id, undefined);
    assert.deepEqual(synthetic.props, { $group_type: 'company', $group_key: 'c1', $group_set: '{"name":"Co"}' });
    assert.equal(item(map({ event: '$groupidentify', distinct_id: 'u1', properties: group }), 'track').user_id, 'u1');
  });

  it('drops session replay and heatmap events, and refuses what is not an event, naming the field', () => {
    assert.deepEqual(map({ event: '$snapshot', properties: { $snapshot_data: [] } }), { kind: 'dropped' });
    assert.deepEqual(map({ event: '$$heatmap' }), { kind: 'dropped' });
    assert.deepEqual(mapPostHogEvent({ properties: {} }, 4, now, undefined), { refusal: 'batch[4].event: is required' });
    assert.deepEqual(map({ event: 'x', properties: [1] }), { refusal: 'batch[0].properties: must be an object' });
    assert.deepEqual(map('signup'), { refusal: 'batch[0]: must be an event object ({"event": …, "distinct_id": …, "properties": {…}})' });
  });
});
