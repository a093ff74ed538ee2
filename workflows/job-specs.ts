import { jobTypes, systemJobNames, type JobName } from '@strix/contracts';
import type { JobSpec } from './jobs.ts';

/** Temporal rounds schedule intervals to whole seconds. */
const MIN_INTERVAL_MS = 1_000;

/** The system jobs of the catalogue with their intervals, overridden per job (the configuration). */
export function jobSpecs(overrides: Partial<Record<JobName, number>> = {}): JobSpec[] {
  return systemJobNames.map((name) => {
    const type = jobTypes[name];
    const intervalMs = overrides[name] ?? ('intervalMs' in type ? type.intervalMs : 0);
    if (!Number.isInteger(intervalMs) || intervalMs < MIN_INTERVAL_MS || intervalMs % MIN_INTERVAL_MS !== 0) {
      throw new Error(`job ${name}: interval must be a whole number of seconds of at least 1 s, got ${intervalMs} ms`);
    }
    return { name, intervalMs };
  });
}

export function jobSpec(specs: readonly JobSpec[], name: JobName): JobSpec {
  const spec = specs.find((s) => s.name === name);
  if (!spec) throw new Error(`no system job named ${name}; known: ${specs.map((s) => s.name).join(', ')}`);
  return spec;
}
