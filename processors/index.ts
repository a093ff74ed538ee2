export * from './log/durable-log.ts';
export * from './pipeline.ts';
export * from './seed-deduper.ts';
export * from './steps/dedupe.ts';
export * from './kafka/kafka-log.ts';
