export * from './log/durable-log.ts';
export { encodeFrame } from './log/frame.ts';
export * from './kafka/kafka-log.ts';
export { kafkaPartitionOf } from './kafka/murmur2.ts';
export * from './pipeline.ts';
export * from './thread/pipeline-thread.ts';
export * from './seed-deduper.ts';
// The declared steps, one a file, for the pipeline-stages bench and anyone composing them.
export * from './event-steps.ts';
export * from './steps/step.ts';
export * from './steps/runner.ts';
export * from './steps/parse-record.ts';
export * from './steps/dedupe.ts';
export * from './steps/normalize.ts';
export * from './steps/group.ts';
export * from './steps/to-event-row.ts';
export * from './steps/metric-durations.ts';
