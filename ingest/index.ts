export * from './app.ts';
export * from './auth.ts';
export * from './errors.ts';
export * from './metrics.ts';
export * from './rate-limit.ts';
export * from './hot-keys.ts';
export * from './routes/clickhouse.ts';
export * from './routes/project.ts';
