// What the engine starters share: file checks, log tails, commands, Debian packages, and running one as a command until Ctrl-C.
import { spawn } from 'node:child_process';
import { access } from 'node:fs/promises';

export async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** The last lines of an engine's log, for an error message. */
export function lastLines(text: string, lines = 40): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}

/** Stops the engine and exits on SIGINT or SIGTERM: an engine started from the command line (`npx tsx testkit/engines/….ts`). */
export function stopOnSignal(stop: () => Promise<void>): void {
  const shutdown = () => {
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

export interface Run {
  /** The exit code, or a description of why there is none (not found, killed, timed out). */
  readonly status: number | string;
  readonly output: string;
}

/** Runs a command to its end without blocking the event loop (a test runner keeps reporting meanwhile). */
export function run(command: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], timeout: options.timeoutMs ?? 300_000 });
    let text = '';
    const collect = (chunk: Buffer) => (text += chunk.toString('utf8'));
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('error', (error) => resolve({ status: error.message, output: text }));
    child.once('close', (code, signal) => resolve({ status: code ?? `killed by ${signal}`, output: text }));
  });
}

export const failure = (r: Run) => (typeof r.status === 'number' ? `exit ${r.status}` : r.status);

/**
 * Installs a Debian package with apt-get (the engine suites' own dependencies:
 * nothing is downloaded from elsewhere). Another test file may be installing at
 * the same moment: it waits for dpkg's lock rather than fail. A fresh image has
 * no package lists; they are fetched only when the install needs them.
 */
export async function aptInstall(pkg: string): Promise<Run> {
  const install = () =>
    run('apt-get', ['install', '-y', '-q', '-o', 'DPkg::Lock::Timeout=600', pkg], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, timeoutMs: 1_200_000 });
  const first = await install();
  if (first.status === 0) return first;
  const update = await run('apt-get', ['update', '-q'], { timeoutMs: 600_000 });
  return update.status === 0 ? install() : first;
}

/**
 * What a suite needs from a Debian package (a program, a directory): `env` names an override; else
 * what `find` sees, installing `pkg` with apt-get first when it sees nothing.
 */
export async function ensureFromDebian(pkg: string, env: string, find: () => Promise<string | undefined>, what = 'it'): Promise<string> {
  const override = process.env[env];
  if (override) return override;
  const present = await find();
  if (present) return present;
  const install = await aptInstall(pkg);
  const installed = await find();
  if (installed) return installed;
  throw new Error(`${pkg} is not installed and \`apt-get install -y ${pkg}\` did not install it (${failure(install)}); install it or set ${env} to ${what}.\n${lastLines(install.output)}`);
}
