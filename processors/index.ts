export * from './log/durable-log.ts';
export * from './pipeline.ts';
export * from './seed-deduper.ts';
export * from './steps/dedupe.ts';
export * from './steps/fingerprint.ts';
export * from './steps/normalize-message.ts';
export * from './kafka/kafka-log.ts';
