/**
 * The load generator shared by the end-to-end benchmarks: batches of 100
 * ~300-byte events over keep-alive HTTP, every event id unique, and readings of
 * a server process's CPU and memory from /proc.
 */
import { readFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

export const batchSize = 100;

export class HttpLoad {
  private readonly agent: Agent;
  private readonly templates: string[];
  private seq = 0;
  private requestSeq = 0;

  constructor(
    private readonly clientKey: string,
    private readonly concurrency: number,
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets: concurrency * 2 });
    this.templates = Array.from({ length: 64 }, () => this.template());
  }

  get bytesPerEvent(): number {
    return (this.templates[0]?.length ?? 0) / batchSize;
  }

  /** A batch template; `@@@@@@@@` becomes a per-request number so every event id is unique. */
  private template(): string {
    const now = Date.now();
    const events = Array.from({ length: batchSize }, (_, i) => benchEvent(this.seq++, i, `b-@@@@@@@@-${i}`, `u-${(this.seq - 1) % 20000}`, now));
    return JSON.stringify({ events });
  }

  private body(): Buffer {
    const n = this.requestSeq++;
    return Buffer.from(this.templates[n % this.templates.length]!.replaceAll('@@@@@@@@', String(n).padStart(8, '0')));
  }

  private post(urls: readonly URL[], body: Buffer): Promise<number> {
    const url = urls[this.requestSeq % urls.length]!;
    return new Promise((resolve, reject) => {
      const req = request(
        {
          agent: this.agent,
          host: url.hostname,
          port: url.port,
          path: '/v1/ingest',
          method: 'POST',
          headers: { authorization: `Bearer ${this.clientKey}`, 'content-type': 'application/json', 'content-length': body.length },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  /** Closed loop: `concurrency` clients send `totalEvents`, retrying 429/503 after 50 ms. */
  async sustain(urls: readonly URL[], totalEvents: number): Promise<{ sent: number; retried: number }> {
    let sent = 0;
    let retried = 0;
    await Promise.all(
      Array.from({ length: this.concurrency }, async () => {
        while (sent < totalEvents) {
          sent += batchSize;
          const payload = this.body();
          for (;;) {
            const status = await this.post(urls, payload);
            if (status === 200) break;
            retried++;
            await sleep(50);
          }
        }
      }),
    );
    return { sent, retried };
  }

  /** Open loop at `eventsPerSecond` for `seconds`: request latencies in ms, sorted. */
  async latencies(urls: readonly URL[], eventsPerSecond: number, seconds: number): Promise<number[]> {
    const rate = eventsPerSecond / batchSize;
    const latencies: number[] = [];
    const inflight: Promise<void>[] = [];
    const start = performance.now();
    for (let n = 0; (performance.now() - start) / 1000 < seconds; n++) {
      const wait = start + (n / rate) * 1000 - performance.now();
      if (wait > 1) await sleep(wait);
      const t0 = performance.now();
      inflight.push(this.post(urls, this.body()).then(() => void latencies.push(performance.now() - t0)));
    }
    await Promise.all(inflight);
    return latencies.sort((a, b) => a - b);
  }

  close(): void {
    this.agent.destroy();
  }
}

/** The `n`-th event of a benchmark run, about 300 bytes as JSON: one in fifty is an error. */
export function benchEvent(n: number, i: number, clientEventId: string, userId: string, now: number) {
  return {
    client_event_id: clientEventId,
    session_id: `s-${n % 5000}`,
    user_id: userId,
    level: n % 50 === 0 ? 'error' : 'info',
    name: ['screen_view', 'tap', 'purchase', 'signup'][i % 4],
    message: n % 50 === 0 ? `Request ${n} failed after ${n % 900}ms` : 'user navigated to a screen',
    screen_name: 'Home',
    app_version: '2.3.1',
    os_version: '17.4',
    device_model: 'iPhone15,3',
    environment: 'production',
    timestamp: now,
    attributes: { plan: 'pro', cohort: String(n % 7) },
  };
}

/** The server's log lag in records (`strix_log_lag_records` of its /metrics): 0 once everything accepted is stored. */
export async function logLag(server: string | URL): Promise<number> {
  const text = await (await fetch(new URL('/metrics', server))).text();
  return Number(/^strix_log_lag_records (\d+)/m.exec(text)?.[1] ?? NaN);
}

export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

export async function peakRss(pid: number): Promise<number> {
  return statusBytes(pid, 'VmHWM');
}

/** What a process holds resident now, in bytes. */
export async function residentBytes(pid: number): Promise<number> {
  return statusBytes(pid, 'VmRSS');
}

async function statusBytes(pid: number, field: 'VmHWM' | 'VmRSS'): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
}

/** CPU seconds (user + system) of a process, and of its main (JS) thread alone. */
export async function cpuSeconds(pid: number): Promise<{ process: number; mainThread: number }> {
  // Fields 14 and 15 of /proc/.../stat, counted after the parenthesised command name.
  const ticks = (stat: string) => {
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  };
  return {
    process: ticks(await readFile(`/proc/${pid}/stat`, 'utf8')),
    mainThread: ticks(await readFile(`/proc/${pid}/task/${pid}/stat`, 'utf8')),
  };
}
