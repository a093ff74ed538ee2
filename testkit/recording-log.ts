import type { Log, LogRecord, Topic } from '@strix/contracts';

/** The edge's view of the log: appends are recorded, nothing is consumed. The durable log has its own suites. */
export class RecordingLog implements Log {
  readonly appended: { topic: Topic; records: readonly LogRecord[] }[] = [];

  async append(topic: Topic, records: readonly LogRecord[]) {
    this.appended.push({ topic, records });
  }

  /** The last record appended, if any. */
  get last(): LogRecord | undefined {
    return this.appended.at(-1)?.records.at(-1);
  }

  consumer(): never {
    throw new Error('not used by the edge');
  }

  pendingBytes() {
    return 0;
  }

  async close() {}
}
