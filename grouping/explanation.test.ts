import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { StackFrame } from '@strix/contracts';
import { explainGrouping, GroupingExplanation } from './explanation.ts';
import { groupEvent } from './grouping.ts';
import type { GroupingConfigId, GroupingInput } from './grouping-configs.ts';
import { groupingCases } from './grouping-cases.ts';

const base: GroupingInput = { app_id: 'app_1', is_dev: false, level: 'error', source_module: 'UserService', message: 'User 123 not found' };

const frames: StackFrame[] = [
  { function: 'processTicksAndRejections', filename: 'node:internal/process/task_queues', lineno: 95 },
  { function: 'Layer.handle', filename: '/srv/app/node_modules/express/lib/router/layer.js', lineno: 95 },
  { function: 'async getProfile', filename: '/srv/app/src/routes/profile.ts', lineno: 10, colno: 12 },
  { function: 'onClick', filename: 'https://cdn.shop.com/static/js/main.3f2a1b9c.js', lineno: 1, colno: 4521 },
  { function: 'onClick', filename: 'https://cdn.shop.com/static/js/main.3f2a1b9c.js', lineno: 1, colno: 4600 },
];
const withStack: GroupingInput = { ...base, exception: { type: 'NotFoundError', value: 'User 7 not found', stacktrace: { frames } } };

function component(explanation: GroupingExplanation, name: string) {
  const found = explanation.components.find((c) => c.name === name);
  assert.ok(found, `${name} in ${explanation.components.map((c) => c.name).join(', ')}`);
  return found;
}

const contributing = (explanation: GroupingExplanation) => explanation.components.filter((c) => c.contributes).map((c) => c.name);

describe('the explanation agrees with groupEvent', () => {
  const configs: GroupingConfigId[] = ['strix-1', 'strix-2'];
  const shapes = (message: string): GroupingInput[] => [
    { ...base, message },
    { ...base, message, source_module: undefined, is_dev: true },
    { ...base, message: 'request failed', exception: { type: 'Error', value: message } },
    { ...base, message, exception: { type: 'Error', value: message, stacktrace: { frames } } },
    { ...base, message, fingerprint: ['{{ default }}', message] },
    { ...base, message, fingerprint: [message] },
    { ...base, message, fingerprint: ['{{default}}'], exception: { stacktrace: { frames } } },
  ];

  test('over every grouping case, every event shape and both configs', () => {
    let checked = 0;
    for (const { a, b } of groupingCases) {
      for (const event of [...shapes(a), ...shapes(b)]) {
        for (const config of configs) {
          const explanation = explainGrouping(event, config);
          const grouping = groupEvent(event, config);
          assert.equal(explanation.fingerprint, grouping.fingerprint, `${config}: ${JSON.stringify(event)}`);
          assert.equal(explanation.basis, grouping.basis);
          assert.equal(explanation.config, config);
          GroupingExplanation.parse(explanation);
          checked += 1;
        }
      }
    }
    assert.ok(checked >= groupingCases.length * 2 * 7 * 2);
  });

  test('an event that is not an error is not grouped, and says so', () => {
    const explanation = explainGrouping({ ...withStack, level: 'info' });
    assert.deepEqual([explanation.basis, explanation.fingerprint, explanation.config, explanation.components], ['none', '', '', []]);
    assert.match(explanation.summary, /only errors become issues/);
  });
});

describe('what each basis reports', () => {
  test('stack: the in-app frames and the exception type contribute; system frames, lines, paths and hashes do not', () => {
    const explanation = explainGrouping(withStack);
    assert.equal(explanation.basis, 'stack');
    assert.deepEqual(contributing(explanation), ['app_id', 'is_dev', 'exception_type', 'in_app_frames']);
    const inApp = component(explanation, 'in_app_frames');
    assert.deepEqual(inApp.values, ['getProfile (src/routes/profile.ts)', 'onClick (js/main.js)']);
    assert.match(inApp.hint, /2 of 5 frames kept/);
    assert.match(inApp.hint, /line and column numbers dropped/);
    assert.match(inApp.hint, /\/srv\/app\/src\/routes\/profile\.ts → src\/routes\/profile\.ts/);
    assert.match(inApp.hint, /main\.3f2a1b9c\.js → js\/main\.js/);
    assert.match(inApp.hint, /1 repeated \(recursive\) frame collapsed/);
    const system = component(explanation, 'system_frames');
    assert.equal(system.contributes, false);
    assert.deepEqual(system.values, [
      'processTicksAndRejections (node:internal/process/task_queues)',
      'Layer.handle (/srv/app/node_modules/express/lib/router/layer.js)',
    ]);
    assert.match(system.hint, /system frames ignored/);
    assert.deepEqual(component(explanation, 'exception_type').values, ['NotFoundError']);
    for (const name of ['source_module', 'exception_value', 'message']) {
      assert.match(component(explanation, name).hint, /in-app frames decided/, name);
    }
    assert.equal(explanation.summary, 'Grouped by 2 in-app frames and the exception type NotFoundError, in app app_1 (production), under strix-2.');
  });

  test('a frame the SDK marks as not in-app is a system frame', () => {
    const sdkFrames: StackFrame[] = [
      { function: 'vendorCall', filename: 'src/vendor/lib.ts', in_app: false },
      { function: 'checkout', filename: 'src/cart.ts', in_app: true },
    ];
    const explanation = explainGrouping({ ...base, exception: { type: 'E', stacktrace: { frames: sdkFrames } } });
    assert.deepEqual(component(explanation, 'in_app_frames').values, ['checkout (src/cart.ts)']);
    assert.deepEqual(component(explanation, 'system_frames').values, ['vendorCall (src/vendor/lib.ts)']);
  });

  test('message: the normalized text with the kinds of tokens it replaced', () => {
    const explanation = explainGrouping({
      ...base,
      message: 'Mail to bob@x.com for 550e8400-e29b-41d4-a716-446655440000 failed after 30s (attempt 3 of 5)',
      exception: { type: 'MailError' },
    });
    assert.equal(explanation.basis, 'message');
    assert.deepEqual(contributing(explanation), ['app_id', 'is_dev', 'source_module', 'message', 'exception_type']);
    const message = component(explanation, 'message');
    assert.deepEqual(message.values, ['mail to <email> for <uuid> failed after <duration> (attempt <n> of <n>)']);
    assert.match(message.hint, /variable parts replaced by tokens: email, uuid, duration, number ×2/);
    assert.match(component(explanation, 'in_app_frames').hint, /no stack trace sent/);
    assert.match(component(explanation, 'client_fingerprint').hint, /not sent/);
    assert.match(explanation.summary, /^Grouped by the normalized message "mail to <email>.*", the exception type MailError and the source module UserService/);
  });

  test('message: the exception value is read before the log message, and a stack of library frames leaves the message to decide', () => {
    const libraryOnly = frames.slice(0, 2);
    const explanation = explainGrouping({ ...base, message: 'request failed', exception: { type: 'E', value: 'User 7 not found', stacktrace: { frames: libraryOnly } } });
    assert.equal(explanation.basis, 'message');
    assert.deepEqual(component(explanation, 'exception_value').values, ['user <n> not found']);
    assert.equal(component(explanation, 'exception_value').contributes, true);
    assert.match(component(explanation, 'message').hint, /exception's own value is read instead/);
    const inApp = component(explanation, 'in_app_frames');
    assert.equal(inApp.contributes, false);
    assert.match(inApp.hint, /no in-app frames/);
    assert.equal(component(explanation, 'system_frames').values.length, 2);
  });

  test('client fingerprint: replaces the default grouping', () => {
    const explanation = explainGrouping({ ...withStack, fingerprint: ['payment-gateway-down'] });
    assert.equal(explanation.basis, 'fingerprint');
    assert.deepEqual(contributing(explanation), ['app_id', 'is_dev', 'client_fingerprint']);
    assert.deepEqual(component(explanation, 'client_fingerprint').values, ['payment-gateway-down']);
    for (const name of ['exception_type', 'in_app_frames', 'message']) {
      assert.match(component(explanation, name).hint, /client fingerprint replaces the default grouping/, name);
    }
  });

  test('client fingerprint: "{{ default }}" expands to the default components, which contribute through it', () => {
    const explanation = explainGrouping({ ...withStack, fingerprint: ['{{ default }}', 'tenant-a'] });
    assert.equal(explanation.basis, 'fingerprint');
    assert.deepEqual(contributing(explanation), ['app_id', 'is_dev', 'client_fingerprint', 'exception_type', 'in_app_frames']);
    assert.deepEqual(component(explanation, 'client_fingerprint').values, ['{{ default }}', 'tenant-a']);
    assert.match(component(explanation, 'client_fingerprint').hint, /"\{\{ default \}\}" stands for the default components/);
    assert.match(component(explanation, 'in_app_frames').hint, /^in "\{\{ default \}\}": /);
    assert.match(component(explanation, 'message').hint, /in-app frames decided/);
    assert.match(explanation.summary, /standing for: 2 in-app frames and the exception type NotFoundError/);
    const alone = explainGrouping({ ...withStack, fingerprint: ['{{ default }}'] });
    assert.equal(alone.basis, 'stack');
    assert.match(component(alone, 'client_fingerprint').hint, /only "\{\{ default \}\}"/);
  });

  test('strix-1 reads the module and message only, and says so of the rest', () => {
    const explanation = explainGrouping(withStack, 'strix-1');
    assert.deepEqual(contributing(explanation), ['app_id', 'is_dev', 'source_module', 'message']);
    assert.deepEqual(component(explanation, 'message').values, ['user <n> not found']);
    assert.match(component(explanation, 'in_app_frames').hint, /^strix-1 groups by/);
  });
});
