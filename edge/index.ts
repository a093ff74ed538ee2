export * from './edge.ts';
export * from './hot-keys.ts';
export * from './rate-limit.ts';
export { toLogRecords } from './routes/batches.ts';
export { validateEvents, validateMetrics, validateTrack } from './validate-events.ts';
