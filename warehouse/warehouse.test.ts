import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { splitStatements } from './migrate.ts';

// Port-level behaviour (migrations, dedup tokens, paging, errors) runs against
// every adapter in warehouse-contract.ts; this file keeps adapter-free units.
describe('migration files', () => {
  it('splits statements on semicolons that end a line', () => {
    assert.deepEqual(splitStatements('-- c\nCREATE A;\nCREATE B\n  (x);\n'), ['CREATE A', 'CREATE B\n  (x)']);
  });
});
