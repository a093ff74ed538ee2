import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');

export interface StrixProcess {
  child: ChildProcess;
  url: string;
  output: () => string;
}

/**
 * `STRIX_CPU_PROF_DIR=<dir>` makes the server write a V8 CPU profile there when
 * it exits (SIGTERM drains and exits cleanly), for profiling the benchmarks.
 */
function profilingFlags(): string[] {
  const dir = process.env.STRIX_CPU_PROF_DIR;
  return dir ? ['--cpu-prof', '--cpu-prof-dir', dir] : [];
}

/** As `npm start` and the systemd units start Strix (README, Configuration: fewer full GCs holding requests). */
const serverHeapFlag = '--initial-old-space-size=256';

/** Starts `server/main.ts` as a child process on a free port and waits until it listens. */
export async function spawnStrix(env: Record<string, string>, timeoutMs = 60_000): Promise<StrixProcess> {
  const child = spawn(process.execPath, [...profilingFlags(), serverHeapFlag, '--import', 'tsx', join(root, 'server', 'main.ts')], {
    cwd: root,
    // Tests and CI run as root in containers: Strix refuses root unless told otherwise.
    env: { UV_THREADPOOL_SIZE: '8', ...process.env, STRIX_PORT: '0', STRIX_HOST: '127.0.0.1', STRIX_ALLOW_ROOT: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Strix did not start in ${timeoutMs} ms:\n${output}`)), timeoutMs);
    child.stdout?.on('data', (d: Buffer) => {
      output += d.toString();
      const match = /listening on (http:\/\/[^\s]+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Strix exited with ${code} before listening:\n${output}`));
    });
  });
  return { child, url, output: () => output };
}

export async function kill(p: StrixProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  const exited = once(p.child, 'exit');
  p.child.kill(signal);
  await exited;
}
