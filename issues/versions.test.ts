import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareVersions, isNewerVersion } from './versions.ts';

test('semantic versions compare numerically, not as strings', () => {
  assert.equal(compareVersions('1.10.0', '1.9.0'), 1);
  assert.equal(compareVersions('1.9.0', '1.10.0'), -1);
  assert.equal(compareVersions('2.0.0', '10.0.0'), -1);
  assert.equal(compareVersions('1.2.3', '1.2.3'), 0);
});

test('semver precedence of pre-releases follows the spec', () => {
  const ordered = ['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0'];
  for (let i = 0; i + 1 < ordered.length; i++) {
    assert.equal(compareVersions(ordered[i] as string, ordered[i + 1] as string), -1, `${ordered[i]} < ${ordered[i + 1]}`);
    assert.equal(compareVersions(ordered[i + 1] as string, ordered[i] as string), 1);
  }
});

test('a leading v, missing parts and build metadata do not change the order', () => {
  assert.equal(compareVersions('v2.0', '2.0.0'), 0);
  assert.equal(compareVersions('1.2', '1.2.0'), 0);
  assert.equal(compareVersions('1.0.0+build.1', '1.0.0+build.2'), 0);
  assert.equal(compareVersions('1.2.3.10', '1.2.3.9'), 1);
});

test('non-semver versions compare run by run', () => {
  assert.equal(compareVersions('2024.10.02', '2024.9.30'), 1);
  assert.equal(compareVersions('build 123', 'build 45'), 1);
  assert.equal(compareVersions('1.2.3 (456)', '1.2.3 (1012)'), -1);
  assert.equal(compareVersions('2024.10', '2024.10.1'), -1);
  assert.equal(compareVersions('r15', 'r9'), 1);
});

test('an order that cannot be known is undefined', () => {
  assert.equal(compareVersions('', '1.0.0'), undefined);
  assert.equal(compareVersions('1.0.0', '  '), undefined);
  assert.equal(compareVersions('abc', '1.0'), undefined);
  assert.equal(compareVersions('release-a', 'release-b'), undefined);
  assert.equal(compareVersions('1.0.0', 'nightly'), undefined);
});

test('only a known, strictly newer version counts as newer', () => {
  assert.equal(isNewerVersion('1.10.0', '1.9.0'), true);
  assert.equal(isNewerVersion('1.9.0', '1.9.0'), false);
  assert.equal(isNewerVersion('1.8.0', '1.9.0'), false);
  assert.equal(isNewerVersion('', '1.9.0'), false);
  assert.equal(isNewerVersion('1.10.0', ''), false);
  assert.equal(isNewerVersion('weird', '1.9.0'), false);
});
