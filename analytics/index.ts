export * from './funnels.ts';
export * from './experiments.ts';
