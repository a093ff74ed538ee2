import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { WarehouseError, type Warehouse } from '@strix/contracts';
import { queryRows, RowShapeError } from './query-rows.ts';

/** A warehouse that answers every query with the given rows: the engine is not what is tested here. */
function answering(rows: unknown[]): Warehouse {
  return {
    insert: () => Promise.resolve(),
    query: <Row>() => Promise.resolve(rows as Row[]),
    command: () => Promise.resolve(),
    stream: () => (async function* () {})(),
    close: () => Promise.resolve(),
  };
}

const Row = z.object({ id: z.string(), n: z.coerce.number() });

describe('queryRows', () => {
  it('parses every row with the schema (coercions applied, unknown columns dropped)', async () => {
    const rows = await queryRows(answering([{ id: 'a', n: '12', extra: 1 }, { id: 'b', n: 3 }]), 'things', Row, 'SELECT 1');
    assert.deepEqual(rows, [{ id: 'a', n: 12 }, { id: 'b', n: 3 }]);
  });

  it('refuses a row of the wrong shape, naming the query family and the column but not the values', async () => {
    const error = await queryRows(answering([{ id: 'a', n: 1 }, { id: 42, n: 'SECRET-user@example.com' }]), 'things', Row, 'SELECT 1').then(
      () => assert.fail('expected a refusal'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof RowShapeError && error instanceof WarehouseError);
    assert.equal(error.retry, false);
    assert.equal(error.family, 'things');
    assert.match(error.message, /^things query returned a row that does not match its schema: id: invalid_type/);
    assert.match(error.message, /n: invalid_type/);
    assert.doesNotMatch(error.message, /SECRET|example\.com|42/);
  });
});
