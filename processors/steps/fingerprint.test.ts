import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fingerprintOf, fingerprintOfEvent, type FingerprintInput } from './fingerprint.ts';

const base: FingerprintInput = {
  app_id: 'app_1',
  is_dev: false,
  level: 'error',
  source_module: 'UserService',
  message: 'User 123 not found',
};

test('an error fingerprint is a SHA-256 hex digest', () => {
  assert.match(fingerprintOfEvent(base), /^[0-9a-f]{64}$/);
  assert.equal(fingerprintOfEvent(base), fingerprintOf('app_1', false, 'UserService', 'User 123 not found'));
});

test('messages that differ only in variable parts share a fingerprint', () => {
  assert.equal(fingerprintOfEvent(base), fingerprintOfEvent({ ...base, message: 'User 456 not found' }));
  assert.equal(
    fingerprintOfEvent({ ...base, message: "Key 'abc' missing" }),
    fingerprintOfEvent({ ...base, message: "Key 'xyz' missing" }),
  );
});

test('level aliases of error are errors too', () => {
  assert.equal(fingerprintOfEvent({ ...base, level: 'fatal' }), fingerprintOfEvent(base));
  assert.equal(fingerprintOfEvent({ ...base, level: 'ERROR' }), fingerprintOfEvent(base));
});

test('different messages do not share a fingerprint', () => {
  assert.notEqual(fingerprintOfEvent(base), fingerprintOfEvent({ ...base, message: 'Order 123 not found' }));
});

test('source module, app and dev mode each separate issues', () => {
  const fp = fingerprintOfEvent(base);
  assert.notEqual(fp, fingerprintOfEvent({ ...base, source_module: 'OrderService' }));
  assert.notEqual(fp, fingerprintOfEvent({ ...base, source_module: undefined }));
  assert.notEqual(fp, fingerprintOfEvent({ ...base, app_id: 'app_2' }));
  assert.notEqual(fp, fingerprintOfEvent({ ...base, is_dev: true }));
});

test('an absent source module and an empty one are the same', () => {
  assert.equal(fingerprintOf('app_1', false, undefined, 'm'), fingerprintOf('app_1', false, '', 'm'));
});

test('a separator inside a field cannot make two events collide', () => {
  assert.notEqual(fingerprintOf('app_1', false, 'a\u0000b', 'c'), fingerprintOf('app_1', false, 'a', 'b\u0000c'));
  assert.notEqual(fingerprintOf('a","b', false, '', 'm'), fingerprintOf('a', false, 'b', 'm'));
});

test('non-error events get no fingerprint', () => {
  for (const level of ['debug', 'info', 'warn', 'warning', 'trace']) {
    assert.equal(fingerprintOfEvent({ ...base, level }), '', level);
  }
});
