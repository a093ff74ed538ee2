import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { StackFrame } from '@strix/contracts';
import { fingerprintOf } from './fingerprint.ts';
import { groupEvent } from './grouping.ts';
import { currentGroupingConfig, groupingConfigs, isGroupingConfigId, type GroupingInput } from './grouping-configs.ts';
import { groupingCases } from './grouping-cases.ts';

const base: GroupingInput = {
  app_id: 'app_1',
  is_dev: false,
  level: 'error',
  source_module: 'UserService',
  message: 'User 123 not found',
};

/** A Node stack as an SDK sends it: oldest call first, with runtime frames around the app's. */
function nodeStack(root: string, line: number, handler = 'loadUser'): StackFrame[] {
  return [
    { function: 'processTicksAndRejections', filename: 'node:internal/process/task_queues', lineno: 95 },
    { function: 'Layer.handle', filename: `${root}/node_modules/express/lib/router/layer.js`, lineno: 95 },
    { function: 'async getProfile', filename: `${root}/src/routes/profile.ts`, lineno: line, colno: 12 },
    { function: handler, filename: `${root}/src/users/repository.ts`, lineno: line + 40, colno: 7 },
  ];
}

function withStack(frames: StackFrame[], over: Partial<GroupingInput> = {}): GroupingInput {
  return { ...base, exception: { type: 'NotFoundError', value: 'User 123 not found', stacktrace: { frames } }, ...over };
}

const fp = (event: GroupingInput) => groupEvent(event).fingerprint;

describe('grouping configs', () => {
  test('strix-2 is current and replaces strix-1', () => {
    assert.equal(currentGroupingConfig, 'strix-2');
    assert.equal(groupingConfigs['strix-2'].previous, 'strix-1');
    assert.equal(groupingConfigs['strix-1'].previous, undefined);
    assert.ok(isGroupingConfigId('strix-1') && !isGroupingConfigId('strix-9') && !isGroupingConfigId('toString'));
  });

  test('strix-1 reproduces the stored fingerprints bit for bit', () => {
    const grouping = groupEvent(withStack(nodeStack('/srv', 10)), 'strix-1');
    assert.equal(grouping.fingerprint, 'ddf8278ada548634aec91a6257b5e5f51cfc1be21db1fcc460fe708cd721dd4b');
    assert.deepEqual([grouping.config, grouping.previous, grouping.basis], ['strix-1', '', 'message']);
    for (const { a } of groupingCases) {
      for (const source_module of ['Checkout', undefined]) {
        const event = { ...base, source_module, message: a, is_dev: true };
        assert.equal(groupEvent(event, 'strix-1').fingerprint, fingerprintOf('app_1', true, source_module, a), a);
      }
    }
  });
});

describe('precedence', () => {
  test('a client fingerprint beats the stack and the message', () => {
    const a = groupEvent(withStack(nodeStack('/srv', 10), { fingerprint: ['payment-gateway-down'] }));
    const b = groupEvent({ ...base, message: 'Something else entirely', fingerprint: ['payment-gateway-down'] });
    assert.equal(a.basis, 'fingerprint');
    assert.equal(a.fingerprint, b.fingerprint);
    assert.notEqual(a.fingerprint, fp({ ...base, fingerprint: ['payment-gateway-slow'] }));
  });

  test('in-app frames beat the message', () => {
    const a = groupEvent(withStack(nodeStack('/srv', 10)));
    const b = groupEvent(withStack(nodeStack('/srv', 10), { message: 'Totally different', exception: { type: 'NotFoundError', value: 'Order 9 gone', stacktrace: { frames: nodeStack('/srv', 10) } } }));
    assert.equal(a.basis, 'stack');
    assert.equal(a.fingerprint, b.fingerprint);
  });

  test('without frames the message decides, read from the exception value when there is one', () => {
    const plain = groupEvent(base);
    assert.equal(plain.basis, 'message');
    assert.equal(fp({ ...base, message: 'User 456 not found' }), plain.fingerprint);
    const wrapped = { ...base, message: 'request failed', exception: { type: 'NotFoundError', value: 'User 7 not found' } };
    assert.equal(fp(wrapped), fp({ ...wrapped, message: 'something else failed', exception: { type: 'NotFoundError', value: 'User 8 not found' } }));
    assert.notEqual(fp(wrapped), fp({ ...wrapped, exception: { type: 'NotFoundError', value: 'Order 7 not found' } }));
  });

  test('the exception type, module and normalized text all separate message groups', () => {
    const event = { ...base, exception: { type: 'NotFoundError' } };
    assert.notEqual(fp(event), fp({ ...event, exception: { type: 'TimeoutError' } }));
    assert.notEqual(fp(event), fp({ ...event, source_module: 'OrderService' }));
    assert.notEqual(fp(event), fp(base), 'a known type is part of the group');
  });

  test('every pair of the grouping table groups the same way under strix-2', () => {
    for (const { a, b, group } of groupingCases) {
      const ea = { ...base, exception: { type: 'Error', value: a } };
      const eb = { ...base, exception: { type: 'Error', value: b } };
      assert.equal(fp(ea) === fp(eb), group, `${a} / ${b}`);
    }
  });
});

describe('stack frame grouping', () => {
  const reference = fp(withStack(nodeStack('/srv/app', 10)));

  test('line numbers, checkout paths and runtime frames do not split a group', () => {
    assert.equal(fp(withStack(nodeStack('/home/ci/builds/7f3a9c21', 57))), reference);
    const moreRuntime = [{ function: 'runMicrotasks', filename: '<anonymous>' }, ...nodeStack('C:\\deploy\\app', 3)];
    assert.equal(fp(withStack(moreRuntime)), reference);
  });

  test('bundle hashes and CDN hosts do not split a group', () => {
    const bundle = (host: string, hash: string): StackFrame[] => [
      { function: 'onClick', filename: `https://${host}/static/js/main.${hash}.js`, lineno: 1, colno: 4521 },
      { function: 'submitOrder', filename: `https://${host}/static/js/main.${hash}.js?v=2`, lineno: 1, colno: 9921 },
    ];
    const a = withStack(bundle('cdn.shop.com', '3f2a1b9c'), { exception: { type: 'TypeError', stacktrace: { frames: bundle('cdn.shop.com', '3f2a1b9c') } } });
    const b = withStack([], { exception: { type: 'TypeError', stacktrace: { frames: bundle('assets.shop.net', '9d8e7f6a') } } });
    assert.equal(groupEvent(a).basis, 'stack');
    assert.equal(fp(a), fp(b));
  });

  test('a different in-app function is a different issue', () => {
    assert.notEqual(fp(withStack(nodeStack('/srv/app', 10, 'saveUser'))), reference);
  });

  test('the exception type is part of a stack group', () => {
    const frames = nodeStack('/srv/app', 10);
    assert.notEqual(fp({ ...base, exception: { type: 'RangeError', stacktrace: { frames } } }), reference);
  });

  test('repeated recursive frames collapse', () => {
    const frames = nodeStack('/srv/app', 10);
    const last = frames[frames.length - 1]!;
    assert.equal(fp(withStack([...frames, { ...last, lineno: 80 }, { ...last, lineno: 80 }])), reference);
  });

  test('a stack of only library frames falls back to the message', () => {
    const system = nodeStack('/srv/app', 10).filter((f) => !f.filename?.includes('/src/'));
    const event = withStack(system);
    assert.equal(groupEvent(event).basis, 'message');
    assert.equal(fp(event), fp({ ...event, exception: { type: 'NotFoundError', value: 'User 123 not found' } }));
    const nameless = withStack([{ lineno: 4, in_app: true }]);
    assert.equal(groupEvent(nameless).basis, 'message', 'frames with no identity say nothing');
  });
});

describe('client fingerprints', () => {
  const event = withStack(nodeStack('/srv/app', 10));

  test('"{{ default }}" alone is the default grouping', () => {
    assert.equal(fp({ ...event, fingerprint: ['{{ default }}'] }), fp(event));
    assert.equal(fp({ ...event, fingerprint: ['{{default}}'] }), fp(event));
  });

  test('"{{ default }}" with a qualifier splits the default group by it', () => {
    const tenantA = fp({ ...event, fingerprint: ['{{ default }}', 'tenant-a'] });
    assert.notEqual(tenantA, fp(event));
    assert.notEqual(tenantA, fp({ ...event, fingerprint: ['{{ default }}', 'tenant-b'] }));
    assert.equal(tenantA, fp({ ...withStack(nodeStack('/home/ci', 70)), fingerprint: ['{{ default }}', 'tenant-a'] }));
    assert.notEqual(tenantA, fp({ ...withStack(nodeStack('/srv/app', 10, 'saveUser')), fingerprint: ['{{ default }}', 'tenant-a'] }));
  });

  test('entries are literal and ordered, and cannot imitate the default', () => {
    assert.notEqual(fp({ ...base, fingerprint: ['a', 'b'] }), fp({ ...base, fingerprint: ['b', 'a'] }));
    assert.notEqual(fp({ ...base, fingerprint: ['a', 'b'] }), fp({ ...base, fingerprint: ['a","b'] }));
    assert.notEqual(fp({ ...base, fingerprint: ['{{ default }}', 'x'] }), fp({ ...base, fingerprint: ['UserService', 'user <n> not found', 'x'] }));
  });
});

describe('scope', () => {
  const events: [string, GroupingInput][] = [
    ['message', base],
    ['stack', withStack(nodeStack('/srv/app', 10))],
    ['fingerprint', { ...base, fingerprint: ['checkout'] }],
  ];
  for (const [basis, event] of events) {
    test(`apps and dev mode never share a ${basis} group`, () => {
      assert.equal(groupEvent(event).basis, basis);
      assert.notEqual(fp(event), fp({ ...event, app_id: 'app_2' }));
      assert.notEqual(fp(event), fp({ ...event, is_dev: true }));
    });
  }
});

describe('previous fingerprint', () => {
  test('is the strix-1 fingerprint when the rules disagree', () => {
    const event = withStack(nodeStack('/srv/app', 10));
    const grouping = groupEvent(event);
    assert.equal(grouping.config, 'strix-2');
    assert.equal(grouping.previous, groupEvent(event, 'strix-1').fingerprint);
    assert.equal(grouping.previous, fingerprintOf(base.app_id, base.is_dev, base.source_module, base.message));
    assert.notEqual(grouping.previous, grouping.fingerprint);
    assert.equal(groupEvent({ ...base, fingerprint: ['x'] }).previous, grouping.previous);
  });

  test('is empty when both configs agree: an error without exception details keeps its strix-1 fingerprint', () => {
    const grouping = groupEvent(base);
    assert.equal(grouping.fingerprint, 'ddf8278ada548634aec91a6257b5e5f51cfc1be21db1fcc460fe708cd721dd4b');
    assert.equal(grouping.previous, '');
  });
});

describe('what else the grouping reports', () => {
  test('the exception type and the culprit', () => {
    const grouping = groupEvent(withStack(nodeStack('/srv/app', 10)));
    assert.equal(grouping.exceptionType, 'NotFoundError');
    assert.equal(grouping.culprit, 'loadUser (src/users/repository.ts)');
    assert.equal(groupEvent(base).culprit, '');
  });

  test('level aliases of error are errors too', () => {
    assert.equal(fp({ ...base, level: 'fatal' }), fp(base));
    assert.equal(fp({ ...base, level: 'ERROR' }), fp(base));
  });

  test('non-error events get no fingerprint but keep their exception type', () => {
    for (const level of ['debug', 'info', 'warn', 'warning', 'trace']) {
      const grouping = groupEvent(withStack(nodeStack('/srv/app', 10), { level }));
      assert.deepEqual(grouping, {
        fingerprint: '',
        previous: '',
        config: '',
        basis: 'none',
        exceptionType: 'NotFoundError',
        culprit: '',
      }, level);
      assert.equal(groupEvent({ ...base, level }).exceptionType, '');
    }
  });
});
