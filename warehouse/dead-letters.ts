import { z } from 'zod';
import { WarehouseError, type Warehouse } from '@strix/contracts';

/** Bounds of one dead letter (sql/015): what an admin needs to see what went wrong, not a second copy of the log. */
export const DeadLetterLimits = {
  maxPayloadBytes: 64 * 1024,
  maxReasonChars: 1000,
  maxListed: 1000,
} as const;

/**
 * ClickHouse codes with which an insert refuses the *content* of its rows: a
 * value that does not parse or convert to its column. Listed one by one: a
 * code outside the list (a timeout, a missing table, a header refused after a
 * migration) fails the batch as before, because bisecting it would dead-letter
 * good rows. INCORRECT_DATA (117) is left out for that reason: it is also the
 * server's refusal of a RowBinary header that no longer matches the table.
 * Both adapters report the same codes (the server adapter reports its
 * encoder's refusal of a value as TYPE_MISMATCH, the server's code for it).
 */
const contentErrorCodes: ReadonlySet<number> = new Set([
  6, // CANNOT_PARSE_TEXT
  25, // CANNOT_PARSE_ESCAPE_SEQUENCE: a lone surrogate's "\ud800" in JSONEachRow
  26, // CANNOT_PARSE_QUOTED_STRING
  27, // CANNOT_PARSE_INPUT_ASSERTION_FAILED
  38, // CANNOT_PARSE_DATE
  41, // CANNOT_PARSE_DATETIME
  53, // TYPE_MISMATCH
  70, // CANNOT_CONVERT_TYPE
  72, // CANNOT_PARSE_NUMBER
  131, // TOO_LARGE_STRING_SIZE
  321, // VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE
  349, // CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN
  376, // CANNOT_PARSE_UUID
  407, // DECIMAL_OVERFLOW
  691, // UNKNOWN_ELEMENT_OF_ENUM: a level or phase the table's enum lacks
]);

/** Whether an insert failed on what its rows hold: no retry helps, and the other rows of the batch are fine. */
export function isContentError(error: unknown): error is WarehouseError {
  return error instanceof WarehouseError && !error.retry && error.code !== undefined && contentErrorCodes.has(error.code);
}

/** One row of `dead_letters` as the processors insert it (times in epoch ms). */
export const DeadLetterRow = z.object({
  project_id: z.string(),
  app_id: z.string(),
  failed_at: z.number().int(),
  reason: z.string(),
  /** The refused event's id; '' when the whole log record was unreadable. */
  event_id: z.string(),
  log_topic: z.string(),
  log_partition: z.number().int().nonnegative(),
  log_offset: z.number().int().nonnegative(),
  payload_base64: z.string(),
  payload_bytes: z.number().int().nonnegative(),
});
export type DeadLetterRow = z.infer<typeof DeadLetterRow>;

export interface DeadLetterInput {
  projectId: string;
  appId: string;
  reason: string;
  eventId: string;
  source: { topic: string; partition: number; offset: number };
  payload: Buffer;
  failedAt: number;
}

/** ES2024's `toWellFormed` (Node 20 has it; the repository compiles against the ES2022 lib). */
const wellFormed = (s: string): string => (s as unknown as { toWellFormed(): string }).toWellFormed();

/**
 * A dead letter that cannot itself be refused: every text column is made well
 * formed (a lone surrogate in a project id is what may have put it here), the
 * payload travels as base64, and reason and payload are cut to their bounds.
 */
export function deadLetterRow(input: DeadLetterInput): DeadLetterRow {
  return {
    project_id: wellFormed(input.projectId),
    app_id: wellFormed(input.appId),
    failed_at: input.failedAt,
    reason: wellFormed(input.reason.slice(0, DeadLetterLimits.maxReasonChars)),
    event_id: wellFormed(input.eventId),
    log_topic: wellFormed(input.source.topic),
    log_partition: input.source.partition,
    log_offset: input.source.offset,
    payload_base64: input.payload.subarray(0, DeadLetterLimits.maxPayloadBytes).toString('base64'),
    payload_bytes: input.payload.length,
  };
}

/** `dedupToken` names the batch the letters came from, so a redone batch inserts them once. */
export async function insertDeadLetters(wh: Warehouse, rows: readonly DeadLetterRow[], dedupToken: string): Promise<void> {
  await wh.insert('dead_letters', rows, { dedupToken });
}

const StoredDeadLetter = z.object({
  app_id: z.string(),
  failed_ms: z.coerce.number(),
  reason: z.string(),
  event_id: z.string(),
  log_topic: z.string(),
  log_partition: z.coerce.number(),
  log_offset: z.coerce.number(),
  payload_base64: z.string(),
  payload_bytes: z.coerce.number(),
});
export type StoredDeadLetter = z.infer<typeof StoredDeadLetter>;

/** A project's dead letters, newest first. */
export async function listDeadLetters(wh: Warehouse, projectId: string, limit: number): Promise<StoredDeadLetter[]> {
  const rows = await wh.query<unknown>(
    `SELECT app_id, toUnixTimestamp64Milli(failed_at) AS failed_ms, reason, event_id, log_topic, log_partition, log_offset,
            payload_base64, payload_bytes
     FROM dead_letters
     WHERE project_id = {project:String}
     ORDER BY failed_at DESC, log_partition, log_offset, event_id
     LIMIT {limit:UInt32}`,
    { project: projectId, limit: Math.min(limit, DeadLetterLimits.maxListed) },
  );
  return rows.map((row) => StoredDeadLetter.parse(row));
}
