/**
 * The world the CLI suites run in: an embedded Strix listening on a real port,
 * seeded with events, errors and metrics, and `strix` spawned as a user runs
 * it (its own process, a private config folder, no inherited STRIX_* variables).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { event, ingest, post, startHarness, type Harness } from '@strix/testkit/harness';

export const strixBin = fileURLToPath(new URL('./bin/strix.mjs', import.meta.url));

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliWorld {
  h: Harness;
  url: string;
  /** A folder for profiles (XDG_CONFIG_HOME and HOME of every spawned `strix`). */
  home: string;
  /** Spawns `strix args...`; `env` adds variables, `input` is written to stdin (else stdin is closed empty). */
  strix(args: string[], options?: SpawnOptions): Promise<Run>;
  /** As `strix`, with STRIX_URL and STRIX_KEY of the world's agent key. */
  agent(args: string[], options?: SpawnOptions): Promise<Run>;
  close(): Promise<void>;
}

export interface SpawnOptions {
  env?: Record<string, string>;
  /** Written to stdin, then stdin is closed; a promise is written once it settles (an answer known only later, such as a mailed code). */
  input?: string | Promise<string>;
}

/** Spawns the CLI with a clean environment: only PATH, HOME, the config folder and `env`. */
export function spawnStrix(home: string, args: string[], options: SpawnOptions = {}): Promise<Run> {
  const child = spawn(process.execPath, [strixBin, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: home, XDG_CONFIG_HOME: join(home, 'config'), ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  Promise.resolve(options.input ?? '').then(
    (input) => child.stdin.end(input),
    () => child.stdin.end(),
  );
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const minute = 60_000;

/** Product events for a funnel, errors for issues, metric points for metrics. */
async function seed(h: Harness): Promise<void> {
  const now = Date.now();
  const at = (ago: number) => new Date(now - ago).toISOString();
  const steps = [
    ['u1', ['app_open', 'signup', 'purchase']],
    ['u2', ['app_open', 'signup']],
    ['u3', ['app_open']],
  ] as const;
  const product = steps.flatMap(([user, names]) =>
    names.map((name, i) => event({ name, message: name, user_id: user, session_id: `s-${user}`, timestamp: at(30 * minute - i * minute), app_version: '2.0.0' })),
  );
  const frames = (line: number) => ({
    type: 'CartStateError',
    stacktrace: {
      frames: [
        { function: 'handler', filename: `/srv/build-${line}/app/src/routes/cart.ts`, lineno: line, in_app: true },
        { function: 'loadCart', filename: `/srv/build-${line}/app/src/cart/load.ts`, lineno: line + 7, in_app: true },
      ],
    },
  });
  const errors = [
    event({ level: 'error', name: undefined, message: 'cart is not iterable', exception: frames(10), session_id: 'e1', user_id: 'u1', app_version: '2.0.0', timestamp: at(20 * minute) }),
    event({ level: 'error', name: undefined, message: 'cart is undefined', exception: frames(42), session_id: 'e2', user_id: 'u2', app_version: '2.0.0', timestamp: at(19 * minute) }),
    event({ level: 'error', name: undefined, message: 'Payment 42 declined', source_module: 'payments', session_id: 'e3', user_id: 'u3', timestamp: at(18 * minute) }),
    event({ level: 'error', name: undefined, message: 'Card 7 refused by bank', source_module: 'billing', session_id: 'e4', user_id: 'u3', timestamp: at(17 * minute) }),
  ];
  const sent = await ingest(h, { events: [...product, ...errors] });
  assert.equal(sent.json<{ rejected: number }>().rejected, 0, sent.body);
  const points = await post(h, '/v1/metrics:batch', {
    points: [
      { name: 'checkout.duration', phase: 'start', tracking_id: 'op-1', user_id: 'u1', timestamp: at(10 * minute) },
      { name: 'checkout.duration', phase: 'complete', tracking_id: 'op-1', user_id: 'u1', timestamp: at(10 * minute - 1500) },
      { name: 'checkout.duration', phase: 'start', tracking_id: 'op-2', user_id: 'u2', timestamp: at(9 * minute) },
      { name: 'checkout.duration', phase: 'fail', tracking_id: 'op-2', user_id: 'u2', timestamp: at(9 * minute - 500), error: 'card declined' },
      { name: 'cart.size', value: 3, unit: 'items', user_id: 'u1', timestamp: at(8 * minute) },
    ],
  });
  assert.equal(points.json<{ rejected: number }>().rejected, 0, points.body);
  await h.strix.drained();
}

/** `env` configures the server (STRIX_SMTP_URL to mail sign-in codes, say). */
export async function startCliWorld(env: Record<string, string> = {}): Promise<CliWorld> {
  const h = await startHarness(env);
  const url = await h.strix.app.listen({ port: 0, host: '127.0.0.1' });
  const home = await mkdtemp(join(tmpdir(), 'strix-cli-'));
  await seed(h);
  const strix: CliWorld['strix'] = (args, options) => spawnStrix(home, args, options);
  return {
    h,
    url,
    home,
    strix,
    agent: (args, options = {}) => strix(args, { ...options, env: { STRIX_URL: url, STRIX_KEY: h.credentials.agentKey, ...options.env } }),
    async close() {
      await h.close();
      await rm(home, { recursive: true, force: true });
    },
  };
}

/** Parses a JSON stdout, failing with what the command printed when it is not JSON. */
export function json<T>(run: Run): T {
  assert.equal(run.code, 0, `exit ${String(run.code)}: ${run.stderr}`);
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(`stdout is not JSON: ${run.stdout.slice(0, 500)}\nstderr: ${run.stderr}`);
  }
}
