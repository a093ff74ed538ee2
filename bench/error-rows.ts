/**
 * Synthetic errors for the issue-scan benchmark, shaped like a busy app's: a
 * few thousand distinct problems with a Zipf-like skew (a handful make most of
 * the noise), sessions that belong to users, a few app versions, and some
 * errors sent without a session. Seeded, so every run sees the same mix.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { EventRow } from '@strix/warehouse';

export interface ErrorMix {
  problems: number;
  sessions: number;
  users: number;
  /** Share of errors sent without a session (the scan groups those into bursts). */
  sessionless: number;
}

export const defaultErrorMix: ErrorMix = { problems: 2_000, sessions: 200_000, users: 50_000, sessionless: 0.05 };

/** Newer versions carry most of the traffic, as after a rollout. */
const versions = ['2.3.0', '2.3.1', '2.4.0', '2.4.1'];
const versionWeights = [0.05, 0.15, 0.3, 0.5];
const exceptionTypes = ['TypeError', 'RangeError', 'NetworkError', 'SyntaxError', 'IllegalStateException'];

/** Letters only, so message normalization keeps it as a word and problems stay apart. */
function word(n: number): string {
  let s = '';
  for (let k = n + 400; k > 0; k = Math.floor(k / 20)) s = String.fromCharCode(103 + (k % 20)) + s;
  return s;
}

export interface SampledError {
  problem: number;
  session: string;
  user: string;
  version: string;
}

export class ErrorSampler {
  private readonly cdf: Float64Array;
  private state: number;

  constructor(
    readonly mix: ErrorMix = defaultErrorMix,
    seed = 1,
  ) {
    // Zipf with s = 1.1: the top problem draws ~15% of errors, the top 20 about half.
    const weights = Array.from({ length: mix.problems }, (_, k) => 1 / Math.pow(k + 1, 1.1));
    const total = weights.reduce((a, b) => a + b, 0);
    this.cdf = new Float64Array(mix.problems);
    let sum = 0;
    weights.forEach((w, k) => (this.cdf[k] = sum += w / total));
    this.state = seed;
  }

  /** mulberry32: fast and seedable, which Math.random is not. */
  random(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  next(): SampledError {
    const u = this.random();
    let lo = 0;
    let hi = this.cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    const session = Math.floor(this.random() * this.mix.sessions);
    let v = this.random();
    let version = 0;
    while (version < versions.length - 1 && (v -= versionWeights[version]!) > 0) version++;
    return {
      problem: lo,
      session: this.random() < this.mix.sessionless ? '' : `s-${session}`,
      user: `u-${session % this.mix.users}`,
      version: versions[version]!,
    };
  }
}

/**
 * Problem `k` as an SDK reports it. Even problems carry an in-app stack (grouped by
 * frames), odd ones only a message and module (grouped by the message's shape).
 */
export function errorEvent(e: SampledError, n: number, ts: number) {
  const k = e.problem;
  const name = word(k);
  const feature = word(k % 40);
  const type = exceptionTypes[k % exceptionTypes.length]!;
  const message = `Cannot load ${name} for order ${n % 100_000} after ${n % 900}ms`;
  const exception =
    k % 2 === 0
      ? {
          type,
          value: message,
          stacktrace: {
            frames: [
              { function: 'processTicksAndRejections', filename: 'node:internal/process/task_queues', lineno: 95 },
              { function: `handle${feature}`, filename: `/srv/app/src/routes/${feature}.ts`, lineno: 20 + (k % 50), in_app: true },
              { function: `load${name}`, filename: `/srv/app/src/${feature}/load.ts`, lineno: 7 + (k % 30), in_app: true },
            ],
          },
        }
      : undefined;
  return {
    client_event_id: `err-${n}`,
    level: 'error',
    message,
    session_id: e.session,
    user_id: e.user,
    app_version: e.version,
    source_module: `module${feature}`,
    environment: 'production',
    timestamp: ts,
    ...(exception && { exception }),
  };
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const fingerprints = new Map<number, { current: string; previous: string }>();

/**
 * The warehouse row the processors would write for `errorEvent(e, n, ts)`, with
 * synthetic fingerprints. Stack-grouped problems also carry a previous-config
 * fingerprint, as real ones do, so the scan's routing looks both up.
 */
export function errorRow(e: SampledError, n: number, ts: number, scope: { projectId: string; appId: string; receivedAt: number }): EventRow {
  const event = errorEvent(e, n, ts);
  const k = e.problem;
  let fp = fingerprints.get(k);
  if (!fp) fingerprints.set(k, (fp = { current: sha256(`strix-2:${k}`), previous: k % 2 === 0 ? sha256(`strix-1:${k}`) : '' }));
  const frames = event.exception?.stacktrace.frames;
  const culprit = frames ? `${frames[2]!.function} (${frames[2]!.filename})` : '';
  return {
    project_id: scope.projectId,
    app_id: scope.appId,
    is_dev: false,
    event_id: randomUUID(),
    ts,
    received_at: scope.receivedAt,
    name: event.message,
    level: 'error',
    message: event.message,
    session_id: event.session_id,
    user_id: event.user_id,
    source_module: event.source_module,
    screen_name: 'Checkout',
    environment: event.environment,
    os_version: '17.4',
    app_version: event.app_version,
    build_number: '412',
    device_model: 'iPhone15,3',
    locale: 'en_US',
    country: 'US',
    fingerprint: fp.current,
    attributes: { plan: 'pro' },
    experiments: {},
    retention_days: 90,
    log_topic: 'events',
    log_partition: 0,
    log_offset: n,
    grouping_config: 'strix-2',
    fingerprint_previous: fp.previous,
    exception_type: event.exception?.type ?? '',
    culprit,
    stack_frames: frames ? JSON.stringify(frames) : '',
  };
}
