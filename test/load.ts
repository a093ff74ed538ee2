/**
 * Client-side helpers of the end-to-end and fault suites: send batches the way
 * an SDK does and read back what Strix stored, through its public HTTP API.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';

export interface SendOptions {
  workers?: number;
  batchSize?: number;
  session?: string;
  name?: string;
  /** Every non-200 status seen, for suites that expect push-back. */
  onStatus?: (status: number, retryAfter: string | null) => void;
  /** Pause of each worker after every request, to bound the offered load. */
  pauseMs?: number;
  /** Called as each batch is acknowledged. */
  onAck?: (ids: readonly string[]) => void;
  /** Odd-numbered workers send product events to `/v1/track:batch` instead of `/v1/ingest`. */
  mixTrack?: boolean;
}

/**
 * Sends batches of uniquely identified events until `stop.done`; resolves with
 * the ids the server acknowledged. A request that dies with the server (or
 * answers anything but 200) was not acknowledged, so its ids are not counted.
 */
export async function sendUntil(ingestUrl: string, clientKey: string, prefix: string, stop: { done: boolean }, options: SendOptions = {}) {
  const { workers = 4, batchSize = 50, session = 'load', name = 'load_test', pauseMs = 0 } = options;
  const acked: string[] = [];
  let batch = 0;
  const worker = async (w: number) => {
    while (!stop.done) {
      const ids = Array.from({ length: batchSize }, (_, i) => `${prefix}-${w}-${batch}-${i}`);
      batch++;
      const track = options.mixTrack === true && w % 2 === 1;
      const body = JSON.stringify({
        events: ids.map((id, i) => ({
          client_event_id: id, session_id: session, user_id: `u${i % 7}`, name, ...(track ? { props: { i } } : { message: 'load test' }),
        })),
      });
      try {
        const res = await fetch(`${ingestUrl}/v1/${track ? 'track:batch' : 'ingest'}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${clientKey}`, 'content-type': 'application/json', 'x-strix-device-id': `w${w}` },
          body,
          signal: AbortSignal.timeout(60_000),
        });
        await res.arrayBuffer();
        if (res.status === 200) {
          acked.push(...ids);
          options.onAck?.(ids);
          if (pauseMs > 0) await sleep(pauseMs);
        } else {
          options.onStatus?.(res.status, res.headers.get('retry-after'));
          await sleep(50);
        }
      } catch {
        if (stop.done) return;
        await sleep(100); // the server died mid-request: this batch was never acknowledged
      }
    }
  };
  await Promise.all(Array.from({ length: workers }, (_, w) => worker(w)));
  return acked;
}

export async function fetchJson<T>(url: string, key: string): Promise<T> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${key}` } });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()) as T;
}

/** How many times each event id of a session is stored, read page by page through `GET /v1/events`. */
export async function storedEvents(apiUrl: string, agentKey: string, session: string): Promise<Map<string, number>> {
  const stored = new Map<string, number>();
  const base = `${apiUrl}/v1/events?session_id=${encodeURIComponent(session)}&limit=1000&from=0`;
  let url = base;
  for (;;) {
    const page = await fetchJson<{ events: { event_id: string }[]; next_cursor: string | null }>(url, agentKey);
    for (const e of page.events) stored.set(e.event_id, (stored.get(e.event_id) ?? 0) + 1);
    if (!page.next_cursor) return stored;
    url = `${base}&cursor=${page.next_cursor}`;
  }
}

/** The hourly materialized view's total for an event name. */
export async function countedEvents(apiUrl: string, agentKey: string, name: string): Promise<number> {
  const { counts } = await fetchJson<{ counts: { events: number }[] }>(`${apiUrl}/v1/events/counts?name=${name}&from=0`, agentKey);
  return counts.reduce((s, c) => s + c.events, 0);
}

/** Asserts every acknowledged id is stored exactly once and the view counts each once. */
export async function assertExactlyOnce(apiUrl: string, agentKey: string, acked: readonly string[], session: string, name: string) {
  const stored = await storedEvents(apiUrl, agentKey, session);
  const missing = acked.filter((id) => !stored.has(id));
  assert.deepEqual(missing.slice(0, 5), [], `${missing.length} of ${acked.length} acknowledged events are missing`);
  const doubled = [...stored].filter(([, n]) => n > 1);
  assert.deepEqual(doubled.slice(0, 5), [], `${doubled.length} events are stored more than once`);
  assert.equal(await countedEvents(apiUrl, agentKey, name), stored.size, 'the hourly view counts each stored event once');
}
