import { z } from 'zod';

/** Where a scheduled job's run stands; both schedulers record runs in these terms. */
export const JobRunStatus = z.enum(['running', 'succeeded', 'failed']);
export type JobRunStatus = z.infer<typeof JobRunStatus>;

/** What started a run: its schedule, or an operator. */
export const JobRunTrigger = z.enum(['schedule', 'manual']);
export type JobRunTrigger = z.infer<typeof JobRunTrigger>;
