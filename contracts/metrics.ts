/** What the pipeline reports about itself; the ingest edge exposes it as Prometheus metrics. */
export interface PipelineObserver {
  eventsInserted(count: number, seconds: number): void;
  duplicatesDropped(count: number): void;
  deadLettered(reason: string, count: number): void;
  insertFailed(): void;
}

export const silentObserver: PipelineObserver = {
  eventsInserted: () => undefined,
  duplicatesDropped: () => undefined,
  deadLettered: () => undefined,
  insertFailed: () => undefined,
};
