// The embedded deployment imports only this entry: nothing here loads the Temporal SDK.
export * from './activities.ts';
export * from './embedded-scheduler.ts';
export * from './job-mail.ts';
export * from './job-specs.ts';
export * from './jobs.ts';
export * from './metric-abandon.ts';
export * from './retention-sweep.ts';
export * from './smtp-mailer.ts';
