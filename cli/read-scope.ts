/**
 * The read scope every read route takes (`from`, `to`, `data_mode`, `app_id`)
 * as command options, with relative times (`--from 2h`) turned into ISO 8601.
 * Anything else is sent as typed: the server checks it and names the field.
 */
import type { OptionSpec, OptionValues } from './command.ts';
import type { Query } from './client.ts';
import { UsageError } from './failures.ts';
import { dataModes } from './vocabulary.ts';

const unitMs: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** `2h`, `30m`, `7d`, `1w`, `now`: that long before now (`direction` 1: after), as ISO 8601; any other text unchanged. */
export function timeOption(value: string | undefined, now = Date.now(), direction: 1 | -1 = -1): string | undefined {
  if (value === undefined) return undefined;
  if (value === 'now') return new Date(now).toISOString();
  const age = /^(\d{1,6})([smhdw])$/.exec(value);
  if (!age) return value;
  return new Date(now + direction * Number(age[1]) * (unitMs[age[2] ?? 's'] ?? 0)).toISOString();
}

const timeHelp = 'ISO 8601, epoch ms, or an age such as 30m, 2h, 7d';

export const rangeOptions = {
  from: { type: 'string', valueName: 'TIME', description: `Start, inclusive: ${timeHelp}` },
  to: { type: 'string', valueName: 'TIME', description: `End, exclusive: ${timeHelp}` },
} as const satisfies Record<string, OptionSpec>;

export const scopeOptions = {
  'data-mode': { type: 'string', valueName: 'MODE', choices: dataModes, description: `${dataModes.join(', ')} (default production)` },
  app: { type: 'string', valueName: 'APP_ID', description: 'Only this app (default: every app of the project)' },
} as const satisfies Record<string, OptionSpec>;

export const readScopeOptions = { ...rangeOptions, ...scopeOptions };

export const text = (options: OptionValues, name: string): string | undefined => {
  const value = options[name];
  return typeof value === 'string' ? value : undefined;
};

export const texts = (options: OptionValues, name: string): string[] => {
  const value = options[name];
  return Array.isArray(value) ? value : typeof value === 'string' ? [value] : [];
};

/** A whole number option within bounds, or a usage error naming it. */
export function integer(options: OptionValues, name: string, min: number, max: number): number | undefined {
  const value = text(options, name);
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) throw new UsageError(`--${name} ${JSON.stringify(value)}: must be a whole number from ${min} to ${max}`);
  return n;
}

export function scopeQuery(options: OptionValues, now = Date.now()): Query {
  return {
    from: timeOption(text(options, 'from'), now),
    to: timeOption(text(options, 'to'), now),
    data_mode: text(options, 'data-mode'),
    app_id: text(options, 'app'),
  };
}

/** `name=value` pairs (`--param`): a usage error names the first without `=`. */
export function pairs(values: readonly string[], option: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const pair of values) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new UsageError(`--${option} ${JSON.stringify(pair)}: expected name=value`);
    result[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return result;
}
