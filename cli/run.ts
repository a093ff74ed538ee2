/**
 * One invocation: find the command its words name, parse its options, run it,
 * and turn what went wrong into a message on stderr and an exit code.
 */
import { parseArgs } from 'node:util';
import { StrixClient } from './client.ts';
import { commandHelp, commandName, groupHelp, optionsOf, terminalWidth, type CommandSpec, type Context, type OptionValues, type Terminal } from './command.ts';
import { ExitCodes, UsageError, describeFailure, isFailure, type ExitCode } from './failures.ts';
import { Formats, render, type Format } from './output.ts';
import { ProfileStore } from './profiles.ts';

export const cliSummary = 'Strix from the command line: events, issues, funnels, metrics, audience, jobs and SQL, with an agent key.';

/** Options that take a value wherever they appear, so the word after them is not a command. */
const valueOptions = new Set(['--profile', '--format', '-f']);

interface Found {
  spec?: CommandSpec;
  /** The command words found (a group's, when no command matched). */
  path: string[];
  /** argv without the command words. */
  rest: string[];
}

function find(argv: readonly string[], specs: readonly CommandSpec[]): Found {
  const path: string[] = [];
  const rest: string[] = [];
  let skipNext = false;
  let positionalSeen = false;
  for (const word of argv) {
    if (skipNext || word.startsWith('-') || positionalSeen) {
      skipNext = !skipNext && valueOptions.has(word);
      if (word === '--') positionalSeen = true;
      rest.push(word);
      continue;
    }
    const next = [...path, word];
    if (specs.some((s) => next.every((w, i) => s.path[i] === w))) path.push(word);
    else {
      positionalSeen = true;
      rest.push(word);
    }
  }
  const spec = specs.find((s) => s.path.length === path.length && s.path.every((w, i) => w === path[i]));
  return { spec, path, rest };
}

function parse(spec: CommandSpec, rest: string[]): { options: OptionValues; positionals: string[] } {
  const options = optionsOf(spec, Formats);
  try {
    const parsed = parseArgs({
      args: rest,
      options: Object.fromEntries(Object.entries(options).map(([name, o]) => [name, { type: o.type, ...(o.short && { short: o.short }), ...(o.multiple && { multiple: true }) }])),
      strict: true,
      allowPositionals: true,
    });
    // Only string options are `multiple`, so arrays hold text.
    const values = parsed.values as OptionValues;
    for (const [name, option] of Object.entries(options)) {
      const value = values[name];
      const bad = option.choices && (Array.isArray(value) ? value : typeof value === 'string' ? [value] : []).find((v) => !option.choices?.includes(v));
      if (bad !== undefined) throw new UsageError(`--${name} ${JSON.stringify(bad)}: must be one of ${option.choices?.join(', ')}`, commandName(spec));
    }
    return { options: values, positionals: parsed.positionals };
  } catch (error) {
    if (error instanceof UsageError) throw error;
    // parseArgs's own errors (unknown option, missing value) are the user's.
    throw new UsageError((error as Error).message.replace(/\. To specify a positional argument.*$/s, ''), commandName(spec));
  }
}

function bindArgs(spec: CommandSpec, positionals: string[]): Record<string, string | string[] | undefined> {
  const args: Record<string, string | string[] | undefined> = {};
  const specs = spec.args ?? [];
  let i = 0;
  for (const arg of specs) {
    if (arg.variadic) {
      args[arg.name] = positionals.slice(i);
      i = positionals.length;
      if (arg.required && (args[arg.name] as string[]).length === 0) throw new UsageError(`missing ${arg.name.toUpperCase()}: ${arg.description}`, commandName(spec));
      continue;
    }
    const value = positionals[i++];
    if (value === undefined && arg.required) throw new UsageError(`missing ${arg.name.toUpperCase()}: ${arg.description}`, commandName(spec));
    if (value !== undefined && arg.choices && !arg.choices.includes(value)) {
      throw new UsageError(`${arg.name.toUpperCase()} ${JSON.stringify(value)}: must be one of ${arg.choices.join(', ')}`, commandName(spec));
    }
    args[arg.name] = value;
  }
  if (i < positionals.length) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[i])}`, commandName(spec));
  return args;
}

function contextFor(commands: readonly CommandSpec[], io: Terminal, options: OptionValues, args: Context['args']): Context {
  const profiles = new ProfileStore(io.env);
  const format = (typeof options.format === 'string' ? options.format : 'table') as Format;
  let client: Promise<StrixClient> | undefined;
  return {
    io,
    options,
    args,
    format,
    profiles,
    commands,
    client() {
      client ??= profiles.resolve(typeof options.profile === 'string' ? options.profile : undefined).then((r) => new StrixClient({ url: r.url, key: r.key }));
      return client;
    },
    print(listing) {
      io.stdout.write(render(listing, format, { width: terminalWidth(io.stdout) }));
    },
  };
}

export interface Catalogue {
  commands: readonly CommandSpec[];
  /** What each group of commands (`issues`) is for, in its help. */
  groups: Readonly<Record<string, string>>;
}

/** Runs `strix <argv>` and answers its exit code; output goes to `io`. */
export async function runCli(argv: readonly string[], io: Terminal, { commands: specs, groups }: Catalogue): Promise<ExitCode> {
  const words = argv[0] === 'help' ? [...argv.slice(1), '--help'] : argv;
  const { spec, path, rest } = find(words, specs);
  const wantsHelp = rest.includes('--help') || rest.includes('-h');
  try {
    if (!spec) {
      const help = groupHelp(path, specs, path.length === 0 ? cliSummary : (groups[path.join(' ')] ?? `strix ${path.join(' ')}`));
      const stray = rest.find((w) => !w.startsWith('-'));
      if (stray !== undefined && !wantsHelp) throw new UsageError(`unknown command ${JSON.stringify([...path, stray].join(' '))}`, path.join(' ') || undefined);
      if (wantsHelp) {
        io.stdout.write(help);
        return ExitCodes.ok;
      }
      io.stderr.write(help);
      return ExitCodes.usage;
    }
    if (wantsHelp) {
      io.stdout.write(commandHelp(spec, Formats));
      return ExitCodes.ok;
    }
    const { options, positionals } = parse(spec, rest);
    await spec.run(contextFor(specs, io, options, bindArgs(spec, positionals)));
    return ExitCodes.ok;
  } catch (error) {
    if (isFailure(error)) {
      io.stderr.write(`strix: ${describeFailure(error)}\n`);
      if (error instanceof UsageError) io.stderr.write(`Run 'strix ${error.command ? `${error.command} ` : ''}--help' for usage.\n`);
      return error.exitCode;
    }
    io.stderr.write(`strix: unexpected failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return ExitCodes.unavailable;
  }
}
