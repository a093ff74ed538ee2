export * from './events.ts';
export * from './metadata.ts';
export * from './migrate.ts';
export * from './job-runs.ts';
