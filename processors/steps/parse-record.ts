import { EventBatchRecord, type ConsumedRecord } from '@strix/contracts';
import { dlq, ok, type Dlq, type Ok, type RecordStep } from './step.ts';

type Fields = Record<string, unknown>;

const isObject = (v: unknown): v is Fields => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Whether a record is one the edge wrote: version 1, its envelope whole, and
 * each event an object with its identity (`event_id`, `ts`) and the fields
 * every event has. The edge writes a record only from events the schema of
 * record (`EventBatchRecord`) accepted, and such a record parses to itself
 * (edge/routes/batches.test.ts checks it on every endpoint's output), so the
 * rest of each event is trusted by version instead of being validated twice:
 * the full schema costs about 7 µs per event, this check a fraction of one.
 * A value that still breaks a step is dead-lettered (runRecordSteps), one the
 * warehouse refuses too (insertIsolatingPoison).
 */
function isEdgeRecord(json: unknown): json is EventBatchRecord {
  if (!isObject(json) || json.v !== 1) return false;
  const { project_id, app_id, retention_days, received_at, events } = json;
  if (typeof project_id !== 'string' || project_id === '' || typeof app_id !== 'string' || app_id === '') return false;
  if (!Number.isInteger(retention_days) || (retention_days as number) <= 0 || !Number.isInteger(received_at)) return false;
  if (!Array.isArray(events) || events.length === 0) return false;
  for (const event of events as unknown[]) {
    if (!isObject(event)) return false;
    if (typeof event.event_id !== 'string' || event.event_id === '' || !Number.isInteger(event.ts)) return false;
    if (typeof event.level !== 'string' || typeof event.message !== 'string' || typeof event.is_dev !== 'boolean') return false;
  }
  return true;
}

/**
 * First step: a log record's bytes become a batch. The log outlives code
 * versions, so anything that is not what the edge writes is dead-lettered with
 * the schema's reason instead of stalling the partition.
 */
export function parseRecord(value: Buffer): Ok<EventBatchRecord> | Dlq {
  let json: unknown;
  try {
    json = JSON.parse(value.toString('utf8'));
  } catch (error) {
    return dlq('record is not valid JSON', error);
  }
  if (isEdgeRecord(json)) return ok(json);
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
