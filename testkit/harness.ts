import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Log } from '@strix/contracts';
import { loadConfig, startStrix, type Credentials, type Strix } from '@strix/server';

export interface Harness {
  strix: Strix;
  dir: string;
  credentials: Credentials;
  log: Log;
  close(): Promise<void>;
}

/** A whole embedded Strix on a fresh data directory, driven through `app.inject()`. */
export async function startHarness(env: Record<string, string> = {}): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'strix-e2e-'));
  const strix = await startStrix(loadConfig({ STRIX_DATA_DIR: dir, ...env }));
  const { credentials, log } = strix;
  if (!credentials || !log) throw new Error('the harness runs the embedded deployment (STRIX_ROLE=all)');
  return {
    strix,
    dir,
    credentials,
    log,
    async close() {
      await strix.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export function ingest(h: Harness, body: unknown, headers: Record<string, string> = {}) {
  return h.strix.app.inject({
    method: 'POST',
    url: '/v1/ingest',
    headers: { authorization: `Bearer ${h.credentials.clientKey}`, 'content-type': 'application/json', ...headers },
    payload: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body),
  });
}

/** POSTs a JSON body with the client key (ingest endpoints) or the given key. */
export function post(h: Harness, url: string, body: unknown, key = h.credentials.clientKey) {
  return h.strix.app.inject({
    method: 'POST',
    url,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    payload: JSON.stringify(body),
  });
}

export function ingestGzip(h: Harness, raw: Buffer) {
  return ingest(h, gzipSync(raw), { 'content-encoding': 'gzip' });
}

export function query(h: Harness, url: string, key = h.credentials.agentKey) {
  return h.strix.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key}` } });
}

/** The events the API lists for `filter` (a query string such as `user_id=u1`), up to 1,000. */
export async function listEvents<T>(h: Harness, filter: string): Promise<T[]> {
  const res = await query(h, `/v1/events?limit=1000&${filter}`);
  assert.equal(res.statusCode, 200, res.body);
  return res.json<{ events: T[] }>().events;
}

/** Scans the project's errors into issues, then lists the issues whose text holds `text`. */
export async function scannedIssues<T>(h: Harness, text: string): Promise<T[]> {
  const scan = await post(h, '/v1/issues/scan', {}, h.credentials.agentKey);
  assert.equal(scan.statusCode, 200, scan.body);
  const res = await query(h, `/v1/issues?limit=200&q=${encodeURIComponent(text)}`);
  assert.equal(res.statusCode, 200, res.body);
  return res.json<{ issues: T[] }>().issues;
}

let counter = 0;
export function event(over: Record<string, unknown> = {}): Record<string, unknown> {
  counter++;
  return {
    client_event_id: `evt-${process.pid}-${counter}`,
    session_id: 'session-1',
    user_id: 'user-1',
    level: 'info',
    message: `screen viewed ${counter}`,
    name: 'screen_view',
    timestamp: new Date().toISOString(),
    ...over,
  };
}
