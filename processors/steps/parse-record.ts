import { EventBatchRecord, type ConsumedRecord } from '@strix/contracts';
import { dlq, ok, type Dlq, type Ok, type RecordStep } from './step.ts';

/**
 * First step: a log record's bytes become a validated batch. The edge wrote it,
 * but the log outlives code versions, so anything unreadable is dead-lettered
 * with the reason instead of stalling the partition.
 */
export function parseRecord(value: Buffer): Ok<EventBatchRecord> | Dlq {
  let json: unknown;
  try {
    json = JSON.parse(value.toString('utf8'));
  } catch (error) {
    return dlq('record is not valid JSON', error);
  }
  const parsed = EventBatchRecord.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return dlq(`record does not match the event batch schema: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`);
  }
  return ok(parsed.data);
}

export function createParseStep(): RecordStep<EventBatchRecord> {
  return (record: ConsumedRecord) => parseRecord(record.value);
}
