import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HotKeys } from './hot-keys.ts';

test("a key past its appends per second is hot until the second ends; other keys are not", () => {
  let now = 10_000;
  let redirected = 0;
  const keys = new HotKeys({ recordsPerSecond: 2, now: () => now, onRedirect: (n) => (redirected += n) });
  assert.deepEqual(['p:hot', 'p:hot', 'p:cold', 'p:hot', 'p:hot'].map((k) => keys.hot(k)), [false, false, false, true, true]);
  assert.equal(redirected, 2);
  now += 999;
  assert.equal(keys.hot('p:hot'), true, 'still the same second');
  now += 1;
  assert.equal(keys.hot('p:hot'), false, 'the limit resets each second');
  assert.equal(redirected, 3);
});
