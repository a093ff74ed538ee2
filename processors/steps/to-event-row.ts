import type { ConsumedRecord, EventBatchRecord, LogEvent } from '@strix/contracts';
import type { EventRow } from '@strix/warehouse';
import type { Grouping } from '@strix/grouping';
import type { GroupedEvent } from './group.ts';
import { ok, type EventStep } from './step.ts';

/** ClickHouse stores attributes as Map(String, String); nulls mean "absent". */
function stringValues(attributes: LogEvent['attributes']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(attributes ?? {})) {
    if (value !== null) out[key] = String(value);
  }
  return out;
}

/** The frames exactly as validated, for display; JSON keeps them one opaque column. */
function stackFramesJson(exception: LogEvent['exception']): string {
  const frames = exception?.stacktrace?.frames;
  return frames && frames.length > 0 ? JSON.stringify(frames) : '';
}

/** The warehouse row for one normalized event of a batch record read from `source`. */
export function toEventRow(
  source: Pick<ConsumedRecord, 'topic' | 'partition' | 'offset'>,
  record: EventBatchRecord,
  event: LogEvent,
  grouping: Grouping,
): EventRow {
  return {
    project_id: record.project_id,
    app_id: record.app_id,
    is_dev: event.is_dev,
    event_id: event.event_id,
    ts: event.ts,
    received_at: record.received_at,
    name: event.name ?? event.message,
    level: event.level as EventRow['level'],
    message: event.message,
    session_id: event.session_id ?? '',
    user_id: event.user_id ?? '',
    source_module: event.source_module ?? '',
    screen_name: event.screen_name ?? '',
    environment: event.environment ?? '',
    os_version: event.os_version ?? '',
    app_version: event.app_version ?? '',
    build_number: event.build_number ?? '',
    device_model: event.device_model ?? '',
    locale: event.locale ?? '',
    country: event.country ?? '',
    fingerprint: grouping.fingerprint,
    attributes: stringValues(event.attributes),
    experiments: event.experiments ?? {},
    retention_days: record.retention_days,
    log_topic: source.topic,
    log_partition: source.partition,
    log_offset: source.offset,
    grouping_config: grouping.config,
    fingerprint_previous: grouping.previous,
    exception_type: grouping.exceptionType,
    culprit: grouping.culprit,
    stack_frames: stackFramesJson(event.exception),
    kind: event.kind ?? 'log',
    metric_phase: event.metric?.phase ?? '',
    tracking_id: event.metric?.tracking_id ?? '',
    metric_value: event.metric?.value ?? null,
    metric_unit: event.metric?.unit ?? '',
    duration_ms: event.metric?.duration_ms ?? null,
    trace_id: event.metric?.trace_id ?? '',
    span_id: event.metric?.span_id ?? '',
    user_set: event.user_set ?? {},
    user_set_once: event.user_set_once ?? {},
  };
}

/** The last per-event step: the row the batch inserts. */
export function createToRowStep(): EventStep<GroupedEvent, EventRow> {
  return ({ event, grouping }, { record, batch }) => ok(toEventRow(record, batch, event, grouping));
}
