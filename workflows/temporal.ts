// The distributed deployment's entry (`@strix/workflows/temporal`): Temporal worker and schedules.
export * from './schedules.ts';
export * from './worker.ts';
export type { IssueScanInput, ScheduledJobInput } from './workflows.ts';
export * from './issue-scan-client.ts';
