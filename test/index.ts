export * from './process.ts';
export * from './engines/temporal.ts';
