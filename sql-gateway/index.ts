export * from './mount.ts';
export * from './routes.ts';
