/**
 * A real PostgreSQL server (Debian's packages) for tests and by hand, with no
 * manual steps: the binaries are found under /usr/lib/postgresql (installed
 * with apt-get when missing), and each server runs from a fresh temporary
 * directory on a free loopback port with trust authentication.
 *
 *   node --import tsx testkit/engines/postgres.ts     starts one and stays up until Ctrl-C
 */
import { readFileSync, rmSync } from 'node:fs';
import { chmod, chown, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ensureFromDebian, exists, failure, lastLines, run, stopOnSignal, type Run } from './engine-cli.ts';

const DATABASE = 'strix';

export interface PostgresOptions {
  /** Seconds pg_ctl waits for the server to accept connections (default 120: 2 busy cores are slow). */
  startTimeoutSeconds?: number;
  /** Extra server settings, passed as `-c name=value`. */
  settings?: Record<string, string>;
}

export interface PostgresEngine {
  /** `postgres://postgres@127.0.0.1:PORT/strix`: the superuser, trust auth, an empty database. */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /** Stops the server (`pg_ctl stop -m fast`) and deletes its directory. */
  stop(): Promise<void>;
}

/** The newest `/usr/lib/postgresql/<major>/bin` holding a server (pg_config's bindir first: it names the one a build would use). */
async function findBinDir(): Promise<string | undefined> {
  const candidates: string[] = [];
  const pgConfig = await run('pg_config', ['--bindir']);
  // libpq-dev alone brings pg_config without a server, so its bindir counts only when initdb is there.
  if (pgConfig.status === 0) candidates.push(pgConfig.output.trim());
  const root = '/usr/lib/postgresql';
  const majors = (await exists(root)) ? (await readdir(root)).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  candidates.push(...majors.map((major) => join(root, major, 'bin')));
  for (const dir of candidates) {
    if ((await exists(join(dir, 'initdb'))) && (await exists(join(dir, 'pg_ctl')))) return dir;
  }
  return undefined;
}

/** The server binaries' directory, installing Debian's `postgresql` package on first use. `STRIX_POSTGRES_BIN` overrides. */
export function ensurePostgresBinaries(): Promise<string> {
  return ensureFromDebian('postgresql', 'STRIX_POSTGRES_BIN', findBinDir, 'its bin directory');
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

/** initdb refuses to run as root: as root, every server command runs as the `postgres` OS user the package creates. */
const asRoot = process.getuid?.() === 0;

function runAsOwner(command: string, args: readonly string[]): Promise<Run> {
  return asRoot ? run('runuser', ['-u', 'postgres', '--', command, ...args]) : run(command, args);
}

/**
 * Servers still running, by directory. pg_ctl detaches the server from this
 * process, so nothing else would stop it if this process exits without calling
 * `stop()` (a failed run must not leak servers).
 */
const live = new Set<string>();
process.once('exit', () => {
  for (const dir of live) {
    try {
      const pid = Number(readFileSync(join(dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
      // SIGQUIT: immediate shutdown, the only kind a synchronous exit handler can ask for.
      if (pid > 0) process.kill(pid, 'SIGQUIT');
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // Already gone, or still removing its files: a temporary directory left behind.
    }
  }
});

/** Starts a server on a free loopback port in a fresh directory and creates the `strix` database in it. */
export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresEngine> {
  const bin = await ensurePostgresBinaries();
  const dir = await mkdtemp(join(tmpdir(), 'strix-postgres-'));
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 'server.log');
  if (asRoot) {
    const [uid, gid] = [await run('id', ['-u', 'postgres']), await run('id', ['-g', 'postgres'])];
    if (uid.status !== 0 || gid.status !== 0) {
      await rm(dir, { recursive: true, force: true });
      throw new Error(`no \`postgres\` OS user to run the server as (this process runs as ${userInfo().username}); reinstall the postgresql package`);
    }
    await chown(dir, Number(uid.output), Number(gid.output));
  }
  await chmod(dir, 0o700);
  const removeDir = () => rm(dir, { recursive: true, force: true });

  const init = await runAsOwner(join(bin, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--no-locale', '--no-sync']);
  if (init.status !== 0) {
    await removeDir();
    throw new Error(`initdb failed (${failure(init)}):\n${lastLines(init.output)}`);
  }

  const port = await freePort();
  const settings = { listen_addresses: '127.0.0.1', unix_socket_directories: dir, ...options.settings };
  const serverOptions = [`-p ${port}`, ...Object.entries(settings).map(([name, value]) => `-c ${name}=${value}`)].join(' ');
  const timeout = String(options.startTimeoutSeconds ?? 120);
  const start = await runAsOwner(join(bin, 'pg_ctl'), ['start', '-w', '-t', timeout, '-D', dataDir, '-l', logFile, '-o', serverOptions]);
  live.add(dir);

  const stop = async () => {
    if (live.delete(dir)) await runAsOwner(join(bin, 'pg_ctl'), ['stop', '-m', 'fast', '-w', '-D', dataDir]);
    await removeDir();
  };
  const fail = async (what: string, result: Run): Promise<never> => {
    const log = lastLines(await readFile(logFile, 'utf8').catch(() => '(no log written)'));
    await stop();
    throw new Error(`${what} (${failure(result)}):\n${lastLines(result.output)}\ntail of ${logFile}:\n${log}`);
  };
  if (start.status !== 0) await fail(`PostgreSQL did not start on 127.0.0.1:${port}`, start);

  const create = await run(join(bin, 'createdb'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', DATABASE], { timeoutMs: 60_000 });
  if (create.status !== 0) await fail(`createdb ${DATABASE} failed`, create);

  return { url: `postgres://postgres@127.0.0.1:${port}/${DATABASE}`, port, dataDir, stop };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const started = Date.now();
  const engine = await startPostgres();
  console.log(`PostgreSQL ready in ${Date.now() - started} ms: ${engine.url}`);
  console.log(`data: ${engine.dataDir} (deleted on exit); Ctrl-C to stop`);
  stopOnSignal(() => engine.stop());
  // The server runs detached: this timer alone keeps the process waiting for Ctrl-C.
  setInterval(() => undefined, 3_600_000);
}
