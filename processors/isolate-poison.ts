import { isContentError } from '@strix/warehouse';

/** A row the warehouse refused on its own, with the engine's reason for that row alone. */
export interface RefusedRow<Row> {
  /** Position of the row in the batch. */
  readonly index: number;
  readonly row: Row;
  readonly reason: string;
}

/** One insert of `rows` under `token`: retries what may pass later, throws what will not. */
export type InsertRows<Row> = (rows: readonly Row[], token: string) => Promise<void>;

/**
 * The token of rows `first..last` (positions, both inclusive) of the batch whose
 * token is `batchToken`. Derived from positions only, so whoever redoes the batch
 * (after a crash, a failed attempt or a rebalance) inserts the same halves
 * under the same tokens, and the warehouse drops the halves already written.
 */
export function subBatchToken(batchToken: string, first: number, last: number): string {
  return `${batchToken}/rows:${first}-${last}`;
}

/**
 * Inserts a batch, and when the warehouse refuses the *content* of its rows
 * (isContentError: a value that does not parse or convert, such as a lone
 * surrogate), finds the refused rows by bisection and inserts every other row
 * exactly once. Returns the refused rows; any other error is thrown, and the
 * caller redoes the whole batch from its commit as before.
 *
 * The common case costs nothing: the whole batch goes in one insert under the
 * batch's own token, as before. Only a refused range is split, in halves by
 * position (deterministic: the same batch always splits the same way), and
 * each half goes in under `subBatchToken`. One bad row among n costs about
 * 2·log2(n) inserts; every row bad, 2n − 1.
 *
 * Why a refused insert leaves nothing half written, so its halves may be
 * inserted under new tokens: a content error is raised while the input is
 * parsed into a block, and the block is written to the table (and then pushed
 * through the materialized views) only once it is complete. An insert is cut
 * into several blocks only past `min_insert_block_size_rows` (1,048,449 rows)
 * or `min_insert_block_size_bytes` (256 MiB); a pipeline batch is bounded far
 * below both (`maxBytes`, 16 MiB of log records by default), so its rows are
 * one block, and a refusal writes nothing. The embedded suite checks it: a
 * batch of 60,000 rows refused at its last row leaves the table and its views
 * unchanged. No content error we found fails inside a materialized view after
 * the table's part was written: the views only read columns the parser already
 * accepted (out-of-range times, infinities and NaN pass through them); if one
 * ever did, the error would carry the view's code, which is not on the content
 * list, and the batch would fail and be redone as any other failure is.
 */
export async function insertIsolatingPoison<Row>(insert: InsertRows<Row>, rows: readonly Row[], batchToken: string): Promise<RefusedRow<Row>[]> {
  const refused: RefusedRow<Row>[] = [];
  const attempt = async (first: number, last: number, token: string): Promise<void> => {
    try {
      await insert(first === 0 && last === rows.length - 1 ? rows : rows.slice(first, last + 1), token);
    } catch (error) {
      if (!isContentError(error)) throw error;
      if (first === last) {
        refused.push({ index: first, row: rows[first] as Row, reason: error.message });
        return;
      }
      const middle = first + Math.floor((last - first) / 2);
      await attempt(first, middle, subBatchToken(batchToken, first, middle));
      await attempt(middle + 1, last, subBatchToken(batchToken, middle + 1, last));
    }
  };
  if (rows.length > 0) await attempt(0, rows.length - 1, batchToken);
  return refused;
}
