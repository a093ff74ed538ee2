import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeThrown, parseStack } from './stack-frames.ts';

const brief = (stack: string) => parseStack(stack).map((f) => [f.function ?? '', f.filename ?? '', f.lineno ?? 0, f.in_app]);

describe('stack frames', () => {
  it('parses a Node stack oldest call first, marking the runtime and dependencies as not the app’s', () => {
    const stack = [
      'TypeError: Cannot read properties of undefined (reading "items")',
      '    at loadCart (/srv/app/src/cart/load.ts:17:9)',
      '    at async handler (file:///srv/app/src/routes/cart.ts:42:5)',
      '    at Array.map (<anonymous>)',
      '    at Object.run (/srv/app/node_modules/fastify/lib/route.js:100:3)',
      '    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)',
    ].join('\n');
    assert.deepEqual(brief(stack), [
      ['process.processTicksAndRejections', 'node:internal/process/task_queues', 95, false],
      ['Object.run', '/srv/app/node_modules/fastify/lib/route.js', 100, false],
      ['Array.map', '<anonymous>', 0, false],
      ['handler', '/srv/app/src/routes/cart.ts', 42, true],
      ['loadCart', '/srv/app/src/cart/load.ts', 17, true],
    ]);
    assert.equal(parseStack(stack)[4]?.colno, 9);
  });

  it('parses Chrome stacks: URLs without their query, anonymous frames, eval, constructors and extensions', () => {
    const stack = [
      'Error: boom',
      '    at new Cart (https://shop.example/assets/index-BfY9c2aQ.js?v=3#x:1:2040)',
      '    at https://shop.example/assets/index-BfY9c2aQ.js:1:999',
      '    at eval (eval at render (https://shop.example/app.js:10:5), <anonymous>:1:1)',
      '    at Object.<anonymous> (chrome-extension://abcdef/content.js:3:4)',
    ].join('\n');
    assert.deepEqual(brief(stack), [
      ['Object.<anonymous>', 'chrome-extension://abcdef/content.js', 3, false],
      ['eval', 'https://shop.example/app.js', 10, true],
      ['', 'https://shop.example/assets/index-BfY9c2aQ.js', 1, true],
      ['new Cart', 'https://shop.example/assets/index-BfY9c2aQ.js', 1, true],
    ]);
  });

  it('parses Firefox and Safari stacks', () => {
    const firefox = ['loadCart@https://shop.example/app.js:17:9', 'handler/<@https://shop.example/app.js:42:5', '@https://shop.example/app.js line 2 > eval:1:1', ''].join('\n');
    assert.deepEqual(brief(firefox), [
      ['', 'https://shop.example/app.js', 2, true],
      ['handler/<', 'https://shop.example/app.js', 42, true],
      ['loadCart', 'https://shop.example/app.js', 17, true],
    ]);
    const safari = ['loadCart@https://shop.example/app.js:17:9', 'forEach@[native code]', 'global code@https://shop.example/app.js:1:1'].join('\n');
    assert.deepEqual(brief(safari), [
      ['global code', 'https://shop.example/app.js', 1, true],
      ['forEach', '[native code]', 0, false],
      ['loadCart', 'https://shop.example/app.js', 17, true],
    ]);
  });

  it('keeps the innermost 100 frames of a deep stack', () => {
    const lines = ['RangeError: Maximum call stack size exceeded'];
    for (let i = 0; i < 150; i++) lines.push(`    at f${i} (/srv/app/src/deep.ts:${i + 1}:1)`);
    const frames = parseStack(lines.join('\n'));
    assert.equal(frames.length, 100);
    assert.equal(frames.at(-1)?.function, 'f0', 'the innermost call is last');
    assert.equal(frames[0]?.function, 'f99');
  });

  it('describes an Error with its type, message and frames, and anything else thrown by its text', () => {
    class PaymentDeclined extends Error {
      override name = 'PaymentDeclined';
    }
    const { message, exception } = describeThrown(new PaymentDeclined('card 4242 declined'));
    assert.equal(message, 'PaymentDeclined: card 4242 declined');
    assert.equal(exception.type, 'PaymentDeclined');
    assert.equal(exception.value, 'card 4242 declined');
    assert.equal(exception.stacktrace?.frames.at(-1)?.filename, import.meta.filename, 'the innermost frame is where it was made');
    assert.equal(exception.stacktrace?.frames.at(-1)?.in_app, true);

    assert.deepEqual(describeThrown('plain string'), { message: 'plain string', exception: { type: 'Error', value: 'plain string' } });
    assert.equal(describeThrown({ code: 42 }).message, '{"code":42}');
    assert.equal(describeThrown(undefined).message, 'undefined');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    assert.equal(describeThrown(cyclic).message, '[object Object]');
  });
});
