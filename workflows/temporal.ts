// The distributed deployment's entry (`@strix/workflows/temporal`): Temporal worker, schedules and clients.
export * from './schedules.ts';
export * from './worker.ts';
export type { IssueScanInput, JobRunWorkflowInput, ScheduledJobInput } from './workflows.ts';
export * from './issue-scan-client.ts';
export * from './job-client.ts';
export * from './search-attributes.ts';
