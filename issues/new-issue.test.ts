import assert from 'node:assert/strict';
import { test } from 'node:test';
import { headlineOf, issueTitle } from './new-issue.ts';

const wellFormed = (s: string) => (s as unknown as { isWellFormed(): boolean }).isWellFormed();

test('a long title is cut to 500 characters, never between the halves of an emoji', () => {
  for (const pad of [497, 498, 499]) {
    const title = issueTitle('', `${'x'.repeat(pad)}${'🦉'.repeat(10)}`);
    assert.ok(title.length <= 500, `${pad}: ${title.length}`);
    assert.ok(title.endsWith('…'));
    assert.ok(wellFormed(title), `${pad}: a lone surrogate`);
  }
  assert.equal(issueTitle('TypeError', 'x is undefined'), 'TypeError: x is undefined');
});

test('a headline drops U+0000, which an error stored by an older release may hold', () => {
  assert.deepEqual(headlineOf({ exception_type: 'E\u0000', message: 'a\u0000b', culprit: '', source_module: 'm\u0000od' }), { title: 'E: ab', culprit: 'mod', exception_type: 'E' });
});
