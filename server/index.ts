export * from './bootstrap.ts';
export * from './config.ts';
export * from './strix.ts';
