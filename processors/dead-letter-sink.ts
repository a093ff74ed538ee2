import { Topics, type ConsumedRecord, type EventBatchRecord, type Log, type LogEvent, type PipelineObserver, type Warehouse } from '@strix/contracts';
import { deadLetterRow, insertDeadLetters, isContentError, type EventRow } from '@strix/warehouse';

/** Something the pipeline could not store: a whole log record, or one event of it. */
export interface DeadLetter {
  readonly record: ConsumedRecord;
  /** `<what failed>: <why>`; the part before the first colon labels the dead-letter metric. */
  readonly reason: string;
  readonly projectId: string;
  readonly appId: string;
  /** '' for a whole record. */
  readonly eventId: string;
  /** The record's bytes, or the refused event's row as JSON. */
  readonly payload: Buffer;
}

/**
 * The project and app a record names, for a record the processors could not
 * read as a batch: the edge writes them from the client key, so whatever
 * parses as a string there is the project the record belongs to. '' when the
 * record is too broken to say (the log topic still has it).
 */
export function recordOwner(value: Buffer): { projectId: string; appId: string } {
  try {
    const json: unknown = JSON.parse(value.toString('utf8'));
    if (typeof json !== 'object' || json === null) return { projectId: '', appId: '' };
    const { project_id, app_id } = json as Record<string, unknown>;
    return { projectId: typeof project_id === 'string' ? project_id : '', appId: typeof app_id === 'string' ? app_id : '' };
  } catch {
    return { projectId: '', appId: '' };
  }
}

/** The letter of a whole record no step could read: its bytes as they are in the log. */
export function recordLetter(record: ConsumedRecord, reason: string): DeadLetter {
  return { record, reason, ...recordOwner(record.value), eventId: '', payload: record.value };
}

/** The letter of one event of a readable record: the event as it arrived; the record's other events go on. */
export function eventLetter(record: ConsumedRecord, batch: EventBatchRecord, event: LogEvent, reason: string): DeadLetter {
  return { record, reason, projectId: batch.project_id, appId: batch.app_id, eventId: event.event_id, payload: Buffer.from(JSON.stringify(event)) };
}

/** A refused row's letter carries the row itself: the record's other events were stored. */
export function rowLetter(record: ConsumedRecord, row: EventRow, reason: string): DeadLetter {
  return { record, reason, projectId: row.project_id, appId: row.app_id, eventId: row.event_id, payload: Buffer.from(JSON.stringify(row)) };
}

export interface DeadLetterSinkDeps {
  log: Log;
  warehouse: Warehouse;
  observer: PipelineObserver;
}

/**
 * Parks dead letters in both places: the log's `dlq` topic, for operators and
 * replays, and the project-scoped `dead_letters` table that the project's
 * admins read (`GET /v1/dead-letters`).
 *
 * Called after the batch's `inflight` commit, so a batch redone after a crash
 * parks the same letters under the same token: the table keeps one copy. The
 * topic may get a second copy (an append has no token), as it always could.
 */
export class DeadLetterSink {
  constructor(private readonly deps: DeadLetterSinkDeps) {}

  async park(letters: readonly DeadLetter[], batchToken: string): Promise<void> {
    if (letters.length === 0) return;
    const failedAt = Date.now();
    await this.deps.log.append(
      Topics.dlq,
      letters.map(({ record, reason, projectId, eventId, payload }) => ({
        key: record.key,
        value: Buffer.from(
          JSON.stringify({
            reason,
            topic: record.topic,
            partition: record.partition,
            offset: record.offset,
            failed_at: failedAt,
            project_id: projectId,
            ...(eventId && { event_id: eventId }),
            value_base64: payload.toString('base64'),
          }),
        ),
      })),
    );
    const rows = letters.map(({ record, reason, projectId, appId, eventId, payload }) =>
      deadLetterRow({ projectId, appId, reason, eventId, source: record, payload, failedAt }),
    );
    try {
      await insertDeadLetters(this.deps.warehouse, rows, `${batchToken}/dead-letters`);
    } catch (error) {
      // Every text column is made well formed and the payload is base64, so this
      // is not expected; should the table still refuse a letter, the topic holds
      // it, and a refusal must not stall the partition it came from.
      if (!isContentError(error)) throw error;
      console.warn(`[strix] dead letters kept on the ${Topics.dlq} topic only: ${error.message.slice(0, 200)}`);
    }
    for (const { reason } of letters) this.deps.observer.deadLettered(reason.split(':')[0] ?? reason, 1);
  }
}
