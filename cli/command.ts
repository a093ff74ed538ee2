/**
 * A command as data: its words, arguments and options, from which the parser
 * (`util.parseArgs`), `--help` and shell completion are all made, so they
 * cannot disagree.
 */
import type { Readable } from 'node:stream';
import type { StrixClient } from './client.ts';
import type { Format, Listing } from './output.ts';
import type { Env, ProfileStore } from './profiles.ts';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  description: string;
  /** Shown in help: `--from TIME`. */
  valueName?: string;
  /** The values accepted (checked before anything is sent) and offered by completion. */
  choices?: readonly string[];
}

export interface ArgumentSpec {
  name: string;
  description: string;
  required?: boolean;
  /** Takes the remaining words. */
  variadic?: boolean;
  /** The values accepted (checked before anything is sent) and offered by completion. */
  choices?: readonly string[];
  /** Values offered by completion only (the server decides). */
  suggestions?: readonly string[];
}

/** An output stream, and whether a person is looking at it. */
export type Output = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

/** The width to fit output to: a terminal's, when it reports one (a pty without a size says 0). */
export const terminalWidth = (output: Output): number | undefined => (output.isTTY && output.columns !== undefined && output.columns > 0 ? output.columns : undefined);

export interface Terminal {
  stdout: Output;
  stderr: Output;
  stdin: Readable & { isTTY?: boolean };
  env: Env;
}

export type OptionValues = Record<string, string | boolean | string[] | undefined>;

export interface Context {
  io: Terminal;
  /** Options by their long name, as given (with `--format` resolved into `format`). */
  options: OptionValues;
  /** Arguments by name; a variadic one holds every remaining word. */
  args: Record<string, string | string[] | undefined>;
  format: Format;
  profiles: ProfileStore;
  /** The signed-in client of the chosen profile (or STRIX_URL/STRIX_KEY); a usage error when there is none. */
  client(): Promise<StrixClient>;
  /** Prints a listing to stdout in the chosen format. */
  print(listing: Listing): void;
  /** Every command (for completion). */
  commands: readonly CommandSpec[];
}

export interface CommandSpec {
  /** The words that name it: `['issues', 'list']`. */
  path: readonly string[];
  summary: string;
  /** More help: what it reads, defaults, limits. */
  details?: string;
  args?: readonly ArgumentSpec[];
  options?: Readonly<Record<string, OptionSpec>>;
  /** Prints data, so takes `--format`. */
  output?: boolean;
  /** Talks to a server, so takes `--profile`. */
  remote?: boolean;
  examples?: readonly string[];
  run(ctx: Context): Promise<void>;
}

/** Options every command takes. */
export const helpOption: OptionSpec = { type: 'boolean', short: 'h', description: 'Show this help' };
export const profileOption: OptionSpec = { type: 'string', valueName: 'NAME', description: 'Use this saved profile (default: STRIX_PROFILE, else the default profile)' };
export const formatOption = (choices: readonly string[]): OptionSpec => ({ type: 'string', short: 'f', valueName: 'FORMAT', choices, description: `Output: ${choices.join(', ')} (default table)` });

/** Every option a command accepts, its own and the common ones. */
export function optionsOf(spec: CommandSpec, formats: readonly string[]): Record<string, OptionSpec> {
  return {
    ...spec.options,
    ...(spec.output && { format: formatOption(formats) }),
    ...(spec.remote && { profile: profileOption }),
    help: helpOption,
  };
}

export const commandName = (spec: Pick<CommandSpec, 'path'>) => spec.path.join(' ');

function usageLine(spec: CommandSpec): string {
  const args = (spec.args ?? []).map((a) => {
    const word = `${a.name.toUpperCase()}${a.variadic ? '...' : ''}`;
    return a.required ? word : `[${word}]`;
  });
  return ['strix', ...spec.path, ...args, '[options]'].join(' ');
}

function optionLabel(name: string, option: OptionSpec): string {
  const value = option.type === 'string' ? ` ${option.valueName ?? 'VALUE'}` : '';
  return `${option.short ? `-${option.short}, ` : '    '}--${name}${value}`;
}

function columns(pairs: [string, string][], indent = '  '): string {
  const width = Math.min(34, Math.max(0, ...pairs.map(([left]) => left.length)));
  return pairs.map(([left, right]) => (left.length > width ? `${indent}${left}\n${indent}${' '.repeat(width)}  ${right}` : `${indent}${left.padEnd(width)}  ${right}`)).join('\n');
}

export function commandHelp(spec: CommandSpec, formats: readonly string[]): string {
  const parts = [`Usage: ${usageLine(spec)}`, '', spec.summary];
  if (spec.details) parts.push('', spec.details);
  if (spec.args?.length) parts.push('', 'Arguments:', columns(spec.args.map((a) => [a.name.toUpperCase(), a.description])));
  const options = Object.entries(optionsOf(spec, formats));
  parts.push('', 'Options:', columns(options.map(([name, o]) => [optionLabel(name, o), o.description + (o.multiple ? ' (repeatable)' : '')])));
  if (spec.examples?.length) parts.push('', 'Examples:', ...spec.examples.map((e) => `  ${e}`));
  return `${parts.join('\n')}\n`;
}

/** Help of a group of commands (`strix issues`), or of all of them (`strix`). */
export function groupHelp(prefix: readonly string[], specs: readonly CommandSpec[], summary: string): string {
  const below = specs.filter((s) => prefix.every((word, i) => s.path[i] === word) && s.path.length > prefix.length);
  const parts = [`Usage: ${['strix', ...prefix].join(' ')} <command> [options]`, '', summary, '', 'Commands:'];
  parts.push(columns(below.map((s) => [s.path.slice(prefix.length).join(' '), s.summary])));
  parts.push('', `Run 'strix ${[...prefix, '<command>'].join(' ')} --help' for a command's arguments and options.`);
  return `${parts.join('\n')}\n`;
}
