/** Background jobs: the catalogue, the project's runs, and starting one (optionally waiting for its end). */
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { StrixClient } from '../client.ts';
import type { CommandSpec, Context } from '../command.ts';
import { JobEnded } from '../failures.ts';
import type { Column, Row } from '../output.ts';
import { progressReporter } from '../progress.ts';
import { integer, pairs, text, texts } from '../read-scope.ts';
import { jobNames, jobRunStatuses, triggerableJobs } from '../vocabulary.ts';

/** A run as `GET /v1/jobs/:id` answers it: the fields waiting relies on are checked. */
export const JobRun = z.looseObject({
  id: z.string(),
  type: z.string(),
  status: z.string(),
  progress: z.object({ processed: z.number(), total: z.number().nullable(), message: z.string() }),
  error: z.string(),
});
export type JobRun = z.infer<typeof JobRun>;
const OneRun = z.object({ run: JobRun });

const active = new Set(['pending', 'running']);
const pollMs = 500;

export const runColumns: Column[] = [
  { key: 'id' },
  { key: 'type' },
  { key: 'status' },
  { key: 'trigger' },
  { key: 'progress', value: (r) => progressText(r.progress) },
  { key: 'created_at' },
  { key: 'finished_at' },
  { key: 'error' },
];

function progressText(progress: unknown): string {
  const p = progress as JobRun['progress'] | undefined;
  if (!p) return '';
  return `${p.total === null ? p.processed : `${p.processed}/${p.total}`}${p.message ? ` ${p.message}` : ''}`;
}

/** Polls a run until it ends, reporting its progress on stderr; answers the ended run. */
export async function waitForRun(client: StrixClient, run: JobRun, ctx: Pick<Context, 'io'>): Promise<JobRun> {
  const reporter = progressReporter(ctx.io.stderr);
  let current = run;
  while (active.has(current.status)) {
    reporter.update(current);
    await sleep(pollMs);
    current = OneRun.parse(await client.get(`/v1/jobs/${encodeURIComponent(current.id)}`)).run;
  }
  reporter.end(current);
  return current;
}

/** Job parameters from `--param name=value`: a value that reads as JSON is sent as JSON. */
function paramsOf(values: string[]): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(pairs(values, 'param')).map(([name, value]) => {
      try {
        return [name, JSON.parse(value) as unknown];
      } catch {
        return [name, value];
      }
    }),
  );
}

export const jobCommands: CommandSpec[] = [
  {
    path: ['jobs', 'list'],
    summary: "The project's job runs, newest first",
    options: {
      type: { type: 'string', valueName: 'JOB', choices: jobNames, description: 'Only runs of this job' },
      status: { type: 'string', valueName: 'STATUS', choices: jobRunStatuses, description: `${jobRunStatuses.join(', ')}` },
      limit: { type: 'string', valueName: 'N', description: 'Runs at most (default 50, at most 100)' },
      before: { type: 'string', valueName: 'RUN_ID', description: 'Runs created before this one (paging)' },
    },
    output: true,
    remote: true,
    async run(ctx) {
      const { runs } = await (await ctx.client()).get<{ runs: Row[] }>('/v1/jobs', {
        type: text(ctx.options, 'type'),
        status: text(ctx.options, 'status'),
        limit: integer(ctx.options, 'limit', 1, 100),
        before: text(ctx.options, 'before'),
      });
      ctx.print({ rows: runs, columns: runColumns });
    },
  },
  {
    path: ['jobs', 'types'],
    summary: 'The jobs Strix runs: system jobs with their next run, and the ones a project can start',
    output: true,
    remote: true,
    async run(ctx) {
      const { jobs } = await (await ctx.client()).get<{ jobs: Row[] }>('/v1/jobs', { limit: 1 });
      ctx.print({
        rows: jobs,
        columns: [
          { key: 'type' },
          { key: 'scope' },
          { key: 'triggerable' },
          { key: 'interval_seconds', numeric: true },
          { key: 'next_run_at' },
          { key: 'last_run', value: (r) => (r.last_run as Row | null)?.status ?? '' },
          { key: 'description' },
        ],
      });
    },
  },
  {
    path: ['jobs', 'show'],
    summary: 'One run with its progress, summary and error',
    args: [{ name: 'id', required: true, description: 'The run id' }],
    output: true,
    remote: true,
    async run(ctx) {
      const { run } = await (await ctx.client()).get<{ run: Row }>(`/v1/jobs/${encodeURIComponent(String(ctx.args.id))}`);
      ctx.print({ rows: [run], columns: [...runColumns, { key: 'summary' }], json: run });
    },
  },
  {
    path: ['jobs', 'trigger'],
    summary: 'Start a project job; with --wait, follow it to its end',
    details:
      `Jobs a project starts: ${triggerableJobs.join(', ')} (needs jobs:write). One run per job at a time:\n` +
      'while one runs the server refuses another (exit 1, naming it). With --wait, progress goes to stderr\n' +
      '(a bar on a terminal, a line per change otherwise) and the ended run to stdout; exit 4 if it failed or was cancelled.',
    args: [{ name: 'type', required: true, suggestions: triggerableJobs, description: `The job: ${triggerableJobs.join(', ')}` }],
    options: {
      param: { type: 'string', multiple: true, valueName: 'NAME=VALUE', description: "A job parameter (a JSON value, else text)" },
      wait: { type: 'boolean', short: 'w', description: 'Wait for the run to end' },
    },
    output: true,
    remote: true,
    examples: ['strix jobs trigger issue_scan --wait', 'strix jobs trigger retention_cleanup --wait --format json'],
    async run(ctx) {
      const client = await ctx.client();
      const started = OneRun.parse(await client.post(`/v1/jobs/${encodeURIComponent(String(ctx.args.type))}`, { params: paramsOf(texts(ctx.options, 'param')) })).run;
      const run = ctx.options.wait === true ? await waitForRun(client, started, ctx) : started;
      ctx.print({ rows: [run], columns: runColumns, json: run });
      if (run.status === 'failed' || run.status === 'cancelled') throw new JobEnded(`${run.type} run ${run.id} ${run.status}${run.error ? `: ${run.error}` : ''}`);
    },
  },
];
