import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { StackFrame } from '@strix/contracts';
import {
  ANONYMOUS_FUNCTION,
  describeCulprit,
  frameIdentity,
  inAppFrameIdentities,
  isInAppFrame,
  normalizeFilename,
  normalizeFunctionName,
} from './stack-frames.ts';

describe('isInAppFrame', () => {
  const system: [string, StackFrame][] = [
    ['a dependency', { filename: '/srv/app/node_modules/express/lib/router/layer.js' }],
    ['a Windows dependency', { filename: 'C:\\app\\node_modules\\pg\\lib\\client.js' }],
    ['Node internals', { filename: 'node:internal/process/task_queues' }],
    ['old Node internals', { filename: 'internal/timers.js' }],
    ['a V8 builtin', { function: 'Array.map', filename: '<anonymous>' }],
    ['JSC native code', { function: 'forEach', filename: '[native code]' }],
    ['the webpack bootstrap', { filename: 'webpack:///webpack/bootstrap' }],
    ['the webpack runtime', { filename: 'webpack/runtime/jsonp chunk loading' }],
    ['a system library', { abs_path: '/usr/lib/system/libdispatch.dylib' }],
    ['an Apple framework path', { filename: '/System/Library/PrivateFrameworks/UIKitCore.framework/UIKitCore' }],
    ['an Apple framework module', { module: 'UIKitCore' }],
    ['Foundation', { module: 'Foundation' }],
    ['libdispatch', { module: 'libdispatch.dylib' }],
    ['the JDK', { module: 'java.util.concurrent.ThreadPoolExecutor' }],
    ['Android', { module: 'android.os.Handler' }],
    ['AndroidX', { module: 'androidx.fragment.app.Fragment' }],
    ['Kotlin coroutines', { module: 'kotlinx.coroutines.DispatchedTask' }],
    ['Python packages', { filename: '/usr/local/lib/python3.12/site-packages/django/core/handlers/base.py' }],
    ['the Dart SDK', { filename: 'dart:async/zone.dart' }],
  ];
  for (const [name, frame] of system) {
    test(`${name} is not the app's`, () => assert.equal(isInAppFrame(frame), false));
  }

  const app: [string, StackFrame][] = [
    ['a source file', { function: 'checkout', filename: '/srv/app/src/cart.ts' }],
    ['a bundle served from a CDN', { function: 'n', filename: 'https://cdn.shop.com/static/js/main.3f2a1b9c.js' }],
    ['an app package', { module: 'com.shop.cart.CheckoutActivity' }],
    ['a function with no location', { function: 'handleTap' }],
  ];
  for (const [name, frame] of app) {
    test(`${name} is the app's`, () => assert.equal(isInAppFrame(frame), true));
  }

  test("the SDK's in_app wins over the path", () => {
    assert.equal(isInAppFrame({ filename: '/srv/app/node_modules/@shop/core/index.js', in_app: true }), true);
    assert.equal(isInAppFrame({ filename: '/srv/app/src/vendored.js', in_app: false }), false);
  });
});

describe('normalizeFilename', () => {
  const same: [string, string, string][] = [
    ['URL origin, query and fragment', 'https://cdn.shop.com/static/js/app.js?v=3#x', '/static/js/app.js'],
    ['webpack content hash', '/static/js/main.3f2a1b9c.js', '/static/js/main.9d8e7f6a.js'],
    ['chunk hash', '/static/js/2.3f2a1b9c.chunk.js', '/static/js/2.0badf00d.chunk.js'],
    ['Vite hash', '/assets/index-BfY9c2aQ.js', '/assets/index-Dx3kP0aZ.js'],
    ['esbuild hash', '/assets/chunk-5HXSD3KU.js', '/assets/chunk-Q2WERT7Y.js'],
    ['checkout location', '/Users/ana/code/shop/src/cart/checkout.ts', '/home/ci/build/src/cart/checkout.ts'],
    ['Windows checkout', 'C:\\Users\\ana\\shop\\src\\cart\\checkout.ts', '/opt/shop/src/cart/checkout.ts'],
    ['file URL', 'file:///Users/ana/shop/src/cart/checkout.ts', './src/cart/checkout.ts'],
    ['webpack source URL', 'webpack://shop/./src/cart/checkout.ts', 'src/cart/checkout.ts'],
    [
      'iOS container UUID',
      '/private/var/containers/Bundle/Application/5E8F4B2A-1C3D-4E5F-8A9B-0C1D2E3F4A5B/Shop.app/Shop',
      '/private/var/containers/Bundle/Application/0B7A2C1D-9E8F-4A3B-8C2D-1E0F9A8B7C6D/Shop.app/Shop',
    ],
  ];
  for (const [name, a, b] of same) {
    test(`ignores the ${name}`, () => assert.equal(normalizeFilename(a), normalizeFilename(b)));
  }

  const expected: [string, string][] = [
    ['https://cdn.shop.com/static/js/main.3f2a1b9c.js?v=1', 'js/main.js'],
    ['/_next/static/chunks/pages/index-3f2a1b9c4d5e6f70.js', 'pages/index.js'],
    ['/Users/ana/shop/src/cart/checkout.ts', 'src/cart/checkout.ts'],
    ['/srv/shop/server.js', 'shop/server.js'],
    ['react-dom.production.min.js', 'react-dom.production.min.js'],
    ['main-es2015.js', 'main-es2015.js'],
    ['app:///index.android.bundle', 'index.android.bundle'],
    ['', ''],
  ];
  for (const [input, output] of expected) {
    test(`${JSON.stringify(input)} → ${JSON.stringify(output)}`, () => assert.equal(normalizeFilename(input), output));
  }

  test('keeps different files apart', () => {
    assert.notEqual(normalizeFilename('/srv/app/src/cart.ts'), normalizeFilename('/srv/app/src/order.ts'));
    assert.notEqual(normalizeFilename('/srv/app/src/cart/index.ts'), normalizeFilename('/srv/app/src/order/index.ts'));
  });
});

describe('normalizeFunctionName', () => {
  const cases: [string | undefined, string][] = [
    ['async handleCheckout', 'handleCheckout'],
    ['Cart.submit', 'Cart.submit'],
    ['lambda$onClick$0', 'lambda$onClick'],
    ['onCreate$lambda-1', 'onCreate$lambda'],
    ['Object.<anonymous>', ANONYMOUS_FUNCTION],
    ['?', ANONYMOUS_FUNCTION],
    ['<lambda>', ANONYMOUS_FUNCTION],
    [undefined, ANONYMOUS_FUNCTION],
  ];
  for (const [input, output] of cases) {
    test(`${JSON.stringify(input)} → ${output}`, () => assert.equal(normalizeFunctionName(input), output));
  }
});

describe('frame identities', () => {
  test('the module is preferred over the file, and positions are ignored', () => {
    assert.deepEqual(frameIdentity({ function: 'onCreate', module: 'com.shop.Main', filename: 'Main.kt', lineno: 12 }), [
      'onCreate',
      'com.shop.Main',
    ]);
    assert.deepEqual(
      frameIdentity({ function: 'submit', filename: '/a/src/cart.ts', lineno: 10, colno: 4 }),
      frameIdentity({ function: 'submit', abs_path: '/b/src/cart.ts', lineno: 99, colno: 1 }),
    );
  });

  test('JVM lambda classes lose their per-build counter', () => {
    assert.deepEqual(
      frameIdentity({ function: 'run', module: 'com.shop.Main$$Lambda$14/0x0000000800c0b000' }),
      frameIdentity({ function: 'run', module: 'com.shop.Main$$Lambda$15/0x0000000800c0c440' }),
    );
  });

  test('a frame with neither a name nor a place has no identity', () => {
    assert.equal(frameIdentity({ lineno: 3 }), undefined);
    assert.equal(frameIdentity({ function: '<anonymous>' }), undefined);
    assert.deepEqual(frameIdentity({ function: '<anonymous>', filename: '/x/src/a.ts' }), [ANONYMOUS_FUNCTION, 'src/a.ts']);
  });

  test('only in-app frames count, and recursion collapses', () => {
    const frames: StackFrame[] = [
      { function: 'main', filename: '/x/src/index.ts' },
      { function: 'walk', filename: '/x/src/tree.ts', lineno: 5 },
      { function: 'walk', filename: '/x/src/tree.ts', lineno: 9 },
      { function: 'Array.forEach', filename: '<anonymous>' },
      { function: 'walk', filename: '/x/src/tree.ts', lineno: 9 },
      { function: 'visit', filename: '/x/node_modules/lib/visit.js' },
    ];
    assert.deepEqual(inAppFrameIdentities(frames), [
      ['main', 'src/index.ts'],
      ['walk', 'src/tree.ts'],
    ]);
  });
});

describe('describeCulprit', () => {
  test('names the innermost in-app frame', () => {
    const frames: StackFrame[] = [
      { function: 'main', filename: '/x/src/index.ts' },
      { function: 'async submit', filename: '/x/src/cart.ts', lineno: 40 },
      { function: 'processTicksAndRejections', filename: 'node:internal/process/task_queues' },
    ];
    assert.equal(describeCulprit(frames), 'submit (src/cart.ts)');
  });

  test('falls back to what the frame has', () => {
    assert.equal(describeCulprit([{ function: 'handleTap' }]), 'handleTap');
    assert.equal(describeCulprit([{ filename: '/x/src/a.ts' }]), 'src/a.ts');
  });

  test('is empty without app frames', () => {
    assert.equal(describeCulprit(undefined), '');
    assert.equal(describeCulprit([]), '');
    assert.equal(describeCulprit([{ module: 'java.lang.Thread', function: 'run' }]), '');
  });
});
