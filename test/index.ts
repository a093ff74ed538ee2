export * from './process.ts';
export * from './engines/temporal.ts';
export * from './engines/kafka.ts';
export * from './warehouse-host.ts';
