import type { z } from 'zod';
import { WarehouseError, type QueryParams, type Warehouse } from '@strix/contracts';

/**
 * Runs a SELECT and parses every row with its zod schema, so rows that go on
 * to a client or a decision have the shape their type claims. `family` names
 * the query (e.g. `issues`) in the error a mismatch raises; the error gives the
 * column and what was expected, never the row's values (rows hold user data).
 */
export async function queryRows<Schema extends z.ZodType>(
  wh: Warehouse,
  family: string,
  row: Schema,
  sql: string,
  params?: QueryParams,
): Promise<z.output<Schema>[]> {
  const rows = await wh.query<unknown>(sql, params);
  const parsed: z.output<Schema>[] = [];
  for (const value of rows) {
    const result = row.safeParse(value);
    if (!result.success) throw new RowShapeError(family, result.error);
    parsed.push(result.data);
  }
  return parsed;
}

/** The engine answered with a row its query's schema refuses: a code or schema bug, so a retry would not help. */
export class RowShapeError extends WarehouseError {
  constructor(
    readonly family: string,
    error: z.ZodError,
  ) {
    // Path and issue code only: a zod message may quote the refused value.
    const where = error.issues
      .slice(0, 3)
      .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(row)'}: ${issue.code}${'expected' in issue ? ` (expected ${String(issue.expected)})` : ''}`)
      .join('; ');
    super(`${family} query returned a row that does not match its schema: ${where}`, false);
    this.name = 'RowShapeError';
  }
}
