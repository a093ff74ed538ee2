import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IssueStatuses } from '@strix/contracts';
import { checkTransition } from './lifecycle.ts';

test('the lifecycle allows exactly the documented moves', () => {
  const allowed = new Set([
    'new>in_progress', 'new>resolved', 'new>silenced',
    'in_progress>resolved', 'in_progress>silenced', 'in_progress>new',
    'resolved>new',
    'regressed>in_progress', 'regressed>resolved', 'regressed>silenced',
    'silenced>new',
  ]);
  for (const from of IssueStatuses) {
    for (const to of IssueStatuses) {
      assert.equal(checkTransition(from, to).ok, allowed.has(`${from}>${to}`), `${from} → ${to}`);
    }
  }
});

test('a refused move names the allowed ones', () => {
  const check = checkTransition('resolved', 'in_progress');
  assert.equal(check.ok, false);
  assert.ok(!check.ok && check.reason.includes('from resolved it may become new'), !check.ok ? check.reason : '');
  const regress = checkTransition('resolved', 'regressed');
  assert.ok(!regress.ok && regress.reason.startsWith('only the issue scan'));
  assert.deepEqual(!regress.ok && regress.allowed, ['new']);
});
