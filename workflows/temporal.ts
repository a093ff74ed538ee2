// The distributed deployment's entry (`@strix/workflows/temporal`): Temporal worker and schedules.
export * from './schedules.ts';
export * from './worker.ts';
export type { ScheduledJobInput } from './workflows.ts';
