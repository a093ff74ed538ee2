import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LogEvent } from '@strix/contracts';
import { canonicalEnvironment, createNormalizeStep, normalizeEvent } from './normalize.ts';
import { StepOutcomes } from './runner.ts';
import type { EventSource } from './step.ts';

/** Built through the schema so fixtures are events the pipeline can really receive. */
function event(fields: Record<string, unknown>): LogEvent {
  return LogEvent.parse({ event_id: 'e1', ts: 1_700_000_000_000, message: 'hello', name: 'n', ...fields });
}

describe('normalizeEvent', () => {
  test('trims every string field except the event id', () => {
    const out = normalizeEvent(
      event({
        event_id: ' e1 ',
        message: '  boom \n',
        name: ' checkout ',
        session_id: ' s1 ',
        user_id: '\tu1',
        source_module: ' Auth ',
        screen_name: ' Home ',
        os_version: ' 17.2 ',
        app_version: ' 1.0.0 ',
        build_number: ' 42 ',
        device_model: ' iPhone15,2 ',
        locale: ' en_US ',
        country: ' US ',
      }),
    );
    assert.deepEqual(
      [out.event_id, out.message, out.name, out.session_id, out.user_id, out.source_module, out.screen_name],
      [' e1 ', 'boom', 'checkout', 's1', 'u1', 'Auth', 'Home'],
    );
    assert.deepEqual(
      [out.os_version, out.app_version, out.build_number, out.device_model, out.locale, out.country],
      ['17.2', '1.0.0', '42', 'iPhone15,2', 'en_US', 'US'],
    );
  });

  test('drops optional strings that are empty after trimming', () => {
    const out = normalizeEvent(event({ session_id: '', user_id: '   ', source_module: '\n', environment: ' ' }));
    for (const field of ['session_id', 'user_id', 'source_module', 'environment'] as const) {
      assert.equal(field in out, false, field);
    }
  });

  test('keeps a message that is only whitespace rather than emptying it', () => {
    const out = normalizeEvent(event({ message: '   ' }));
    assert.equal(out.message, '   ');
  });

  test('canonicalizes the level', () => {
    assert.equal(normalizeEvent(event({ level: 'FATAL' })).level, 'error');
    assert.equal(normalizeEvent(event({ level: ' warning ' })).level, 'warn');
    assert.equal(normalizeEvent(event({ level: 'trace' })).level, 'debug');
    assert.equal(normalizeEvent(event({})).level, 'info');
  });

  test('canonicalizes the environment', () => {
    assert.equal(normalizeEvent(event({ environment: ' PROD ' })).environment, 'production');
    assert.equal(normalizeEvent(event({ environment: 'Local' })).environment, 'development');
    assert.equal(normalizeEvent(event({ environment: 'iOS' })).environment, 'ios');
  });

  test('names an unnamed event after the first line of its message', () => {
    const out = normalizeEvent(event({ name: undefined, message: '  TypeError: x is undefined  \n    at f (a.js:1:2)' }));
    assert.equal(out.name, 'TypeError: x is undefined');
    assert.equal(normalizeEvent(event({ name: '   ', message: 'Tap' })).name, 'Tap');
    assert.equal(normalizeEvent(event({ name: 'checkout', message: 'Tap' })).name, 'checkout');
  });

  test('caps a default name at 200 characters without splitting a surrogate pair', () => {
    assert.equal(normalizeEvent(event({ name: undefined, message: 'x'.repeat(500) })).name, 'x'.repeat(200));
    const name = normalizeEvent(event({ name: undefined, message: 'x'.repeat(199) + '😀tail' })).name;
    assert.equal(name, 'x'.repeat(199));
  });

  test('turns attribute values into strings and drops nulls', () => {
    const out = normalizeEvent(
      event({ attributes: { ' plan ': ' pro ', count: 3, ratio: 0.5, beta: true, off: false, gone: null, '  ': 'x' } }),
    );
    assert.deepEqual(out.attributes, { plan: 'pro', count: '3', ratio: '0.5', beta: 'true', off: 'false' });
  });

  test('omits attribute and experiment maps that end up empty', () => {
    const out = normalizeEvent(event({ attributes: { a: null }, experiments: { ' ': 'x', exp: ' ' } }));
    assert.equal('attributes' in out, false);
    assert.equal('experiments' in out, false);
  });

  test('trims experiment keys and variants', () => {
    const out = normalizeEvent(event({ experiments: { ' checkout_v2 ': ' treatment ' } }));
    assert.deepEqual(out.experiments, { checkout_v2: 'treatment' });
  });

  test('keeps untouched fields and does not modify its input', () => {
    const input = event({ is_dev: true, ts: 123, attributes: { n: 1 } });
    const copy = structuredClone(input);
    const out = normalizeEvent(input);
    assert.deepEqual(input, copy);
    assert.notEqual(out, input);
    assert.equal(out.is_dev, true);
    assert.equal(out.ts, 123);
  });

  test('a normalized event is still a valid LogEvent', () => {
    const out = normalizeEvent(event({ name: undefined, message: 'm'.repeat(300), attributes: { a: 1 } }));
    assert.equal(LogEvent.safeParse(out).success, true);
  });
});

describe('canonicalEnvironment', () => {
  const aliases: [string, string][] = [
    ['prod', 'production'], ['production', 'production'], ['live', 'production'],
    ['dev', 'development'], ['development', 'development'], ['local', 'development'],
    ['stage', 'staging'], ['staging', 'staging'], ['test', 'test'], ['testing', 'test'],
    ['QA', 'qa'], ['Preview-2', 'preview-2'],
  ];
  for (const [raw, expected] of aliases) {
    test(`${raw} → ${expected}`, () => assert.equal(canonicalEnvironment(raw), expected));
  }
});

describe('createNormalizeStep', () => {
  test('passes on the normalized event, never dropping one', () => {
    const source: EventSource = {
      record: { topic: 'events', partition: 0, offset: 0, key: 'p1', value: Buffer.alloc(0) },
      batch: { v: 1, project_id: 'p1', app_id: 'a1', retention_days: 30, received_at: 1, events: [] },
      outcomes: new StepOutcomes(),
    };
    const raw = event({ message: ' boom ', environment: 'PROD' });
    const result = createNormalizeStep()(raw, source);
    assert.deepEqual(result, { kind: 'ok', value: normalizeEvent(raw) });
    assert.equal(result.kind === 'ok' && result.value.environment, 'production');
  });
});
