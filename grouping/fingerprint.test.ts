import { createHash } from 'node:crypto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fingerprintOf, hashGroupingParts, strix1Parts } from './fingerprint.ts';
import { normalizeMessage } from './normalize-message.ts';

// Computed with the fingerprintOf of grouping "strix-1" before versioned grouping
// existed. Stored fingerprints must keep matching: if this fails, issues split.
test('strix-1 fingerprints are exactly the ones already stored', () => {
  assert.equal(
    fingerprintOf('app_1', false, 'UserService', 'User 123 not found'),
    'ddf8278ada548634aec91a6257b5e5f51cfc1be21db1fcc460fe708cd721dd4b',
  );
  assert.equal(
    fingerprintOf('app_1', true, undefined, 'Timeout after 30s on db-7'),
    '52c25ee97ea85f7db531b6770cb35350df4b3ef92874a4fe2f0ad93c67cb9b91',
  );
});

test('a fingerprint is the SHA-256 hex of the parts as UTF-8 JSON', () => {
  const parts = strix1Parts('app_1', false, 'UserService', normalizeMessage('User 123 not found'));
  assert.equal(hashGroupingParts(parts), fingerprintOf('app_1', false, 'UserService', 'User 123 not found'));
  const unicode = ['app_ü', true, 'Käse', 'échec 😀 \u0000'];
  assert.equal(hashGroupingParts(unicode), createHash('sha256').update(JSON.stringify(unicode), 'utf8').digest('hex'));
});

test('messages that differ only in variable parts share a fingerprint', () => {
  assert.equal(fingerprintOf('a', false, 'm', 'User 123 not found'), fingerprintOf('a', false, 'm', 'User 456 not found'));
  assert.equal(fingerprintOf('a', false, 'm', "Key 'abc' missing"), fingerprintOf('a', false, 'm', "Key 'xyz' missing"));
  assert.notEqual(fingerprintOf('a', false, 'm', 'User 123 not found'), fingerprintOf('a', false, 'm', 'Order 123 not found'));
});

test('source module, app and dev mode each separate issues', () => {
  const fp = fingerprintOf('app_1', false, 'UserService', 'm');
  assert.notEqual(fp, fingerprintOf('app_1', false, 'OrderService', 'm'));
  assert.notEqual(fp, fingerprintOf('app_1', false, undefined, 'm'));
  assert.notEqual(fp, fingerprintOf('app_2', false, 'UserService', 'm'));
  assert.notEqual(fp, fingerprintOf('app_1', true, 'UserService', 'm'));
});

test('an absent source module and an empty one are the same', () => {
  assert.equal(fingerprintOf('app_1', false, undefined, 'm'), fingerprintOf('app_1', false, '', 'm'));
});

test('a separator inside a field cannot make two events collide', () => {
  assert.notEqual(fingerprintOf('app_1', false, 'a\u0000b', 'c'), fingerprintOf('app_1', false, 'a', 'b\u0000c'));
  assert.notEqual(fingerprintOf('a","b', false, '', 'm'), fingerprintOf('a', false, 'b', 'm'));
});

test('a nested list never hashes like the strings it holds', () => {
  assert.notEqual(hashGroupingParts(['a', 'b']), hashGroupingParts([['a', 'b']]));
  assert.notEqual(hashGroupingParts(['a', ['b']]), hashGroupingParts(['a', '["b"]']));
});
