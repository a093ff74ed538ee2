/** Every command of `strix`, and what each group of them is for. */
import type { CommandSpec } from '../command.ts';
import { audienceCommands } from './audience.ts';
import { eventCommands } from './events.ts';
import { funnelCommands } from './funnels.ts';
import { issueCommands } from './issues.ts';
import { jobCommands } from './jobs.ts';
import { metricCommands } from './metrics.ts';
import { projectCommands } from './project.ts';
import { sessionCommands } from './session.ts';
import { setupCommands } from './setup.ts';
import { sqlCommands } from './sql.ts';

export const commands: readonly CommandSpec[] = [
  ...sessionCommands,
  ...projectCommands,
  ...eventCommands,
  ...issueCommands,
  ...funnelCommands,
  ...metricCommands,
  ...audienceCommands,
  ...jobCommands,
  ...sqlCommands,
  ...setupCommands,
];

export const groupSummaries: Readonly<Record<string, string>> = {
  events: 'Events: list them with filters, the names seen, or follow new ones.',
  issues: 'Issues: errors grouped by fingerprint. List, read, change status, comment, merge.',
  funnels: 'Funnels: saved definitions, and conversion through steps over a range.',
  metrics: 'Metrics: the names seen, and one metric over time.',
  jobs: "Background jobs: the catalogue, the project's runs, and starting one.",
  profiles: 'Saved sign-ins.',
};
