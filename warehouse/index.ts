export * from './events.ts';
export * from './metadata.ts';
export * from './migrate.ts';
