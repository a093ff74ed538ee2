export * from './event.ts';
export * from './keys.ts';
export * from './limits.ts';
export * from './log.ts';
export * from './mailer.ts';
export * from './metrics.ts';
export * from './warehouse.ts';
export * from './analytics.ts';
