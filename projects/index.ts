export * from './project-service.ts';
