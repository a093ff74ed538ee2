import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dlq, drop, ok, type StepResult } from './step.ts';

function describe(result: StepResult<number>): string {
  switch (result.kind) {
    case 'ok':
      return `ok ${result.value}`;
    case 'drop':
      return `drop ${result.reason}`;
    case 'dlq':
      return `dlq ${result.reason}`;
    default: {
      const unreachable: never = result;
      return unreachable;
    }
  }
}

test('ok carries the value', () => {
  assert.deepEqual(ok(42), { kind: 'ok', value: 42 });
  assert.equal(describe(ok(42)), 'ok 42');
});

test('drop carries the reason and fits any StepResult', () => {
  const result: StepResult<number> = drop('duplicate event');
  assert.deepEqual(result, { kind: 'drop', reason: 'duplicate event' });
  assert.equal(describe(result), 'drop duplicate event');
});

test('dlq keeps the error only when one is given', () => {
  const cause = new SyntaxError('bad json');
  assert.deepEqual(dlq('record is not valid JSON', cause), { kind: 'dlq', reason: 'record is not valid JSON', error: cause });
  assert.deepEqual(dlq('schema mismatch'), { kind: 'dlq', reason: 'schema mismatch' });
  assert.equal(describe(dlq('schema mismatch')), 'dlq schema mismatch');
});
