export * from './app.ts';
export * from './auth.ts';
export * from './errors.ts';
export * from './gzip.ts';
export * from './metrics.ts';
export * from './parse.ts';
export * from './time-range.ts';
export * from './well-formed-text.ts';
