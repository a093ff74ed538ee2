/**
 * `@strix/sdk` for Node (browsers get `browser.ts` through the package's `browser` condition).
 *
 *   import { init } from '@strix/sdk';
 *   const strix = init({ key: process.env.STRIX_KEY, endpoint: 'https://strix.example.com', app_version: '1.4.0' });
 *   strix.track('checkout.completed', { props: { items: 3 } });
 */
import { randomFillSync } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { release, type as osType } from 'node:os';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { StrixClient, StrixOptions } from './api.ts';
import { createClient } from './client.ts';
import { uploadAttachments } from './node-attachments.ts';
import type { KeyValueStorage, Platform } from './platform.ts';

export type * from './api.ts';
export type { Breadcrumb } from './breadcrumbs.ts';
export type { KeyValueStorage } from './platform.ts';
export { bucket, hashId, lengthBucket, tier } from './privacy.ts';

const gzipAsync = promisify(gzip);

/** One `beforeExit` listener for every client of the process (a listener each would trip Node's leak warning). */
const exitListeners = new Set<() => void>();
const onBeforeExit = () => {
  for (const listener of exitListeners) listener();
};

function nodePlatform(): Platform {
  return {
    fetch: (input, init) => globalThis.fetch(input, init),
    gzip: async (body) => new Uint8Array(await gzipAsync(body)),
    randomBytes: (length) => randomFillSync(new Uint8Array(length)),
    monotonicMs: () => performance.now(),
    setTimer: (callback, ms) => setTimeout(callback, ms).unref(),
    clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
    isOnline: () => true,
    context: { os_version: `${osType()} ${release()}`, locale: Intl.DateTimeFormat().resolvedOptions().locale },
    // Timers are unref'd, so queued items would be lost at exit: the loop gets one more turn to send them.
    onExit: (listener) => {
      exitListeners.add(listener);
      if (exitListeners.size === 1) process.on('beforeExit', onBeforeExit);
      return () => {
        exitListeners.delete(listener);
        if (exitListeners.size === 0) process.off('beforeExit', onBeforeExit);
      };
    },
  };
}

/** Starts the SDK. Without `key`, every call of the client is a no-op. Never throws. */
export function init(options: StrixOptions): StrixClient {
  return createClient(options, nodePlatform(), { uploadAttachments });
}

/**
 * Storage in one JSON file, so the offline queue, device id and variants survive restarts (a CLI,
 * a job). Written synchronously at most once per tick; a corrupt or missing file starts empty. One
 * file per process: processes sharing one would overwrite each other's writes.
 */
export function fileStorage(path: string): KeyValueStorage {
  let data: Record<string, string> = {};
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
    if (parsed && typeof parsed === 'object') data = parsed as Record<string, string>;
  } catch {
    // Missing or unreadable: start empty.
  }
  let scheduled = false;
  const write = () => {
    scheduled = false;
    const temporary = `${path}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(data));
    renameSync(temporary, path);
  };
  const changed = () => {
    if (scheduled) return;
    scheduled = true;
    queueMicrotask(() => {
      try {
        write();
      } catch {
        // A read-only or full disk: the SDK keeps its data in memory.
      }
    });
  };
  return {
    get length() {
      return Object.keys(data).length;
    },
    key: (index) => Object.keys(data)[index] ?? null,
    getItem: (key) => (Object.hasOwn(data, key) ? (data[key] ?? null) : null),
    setItem: (key, value) => {
      data[key] = String(value);
      changed();
    },
    removeItem: (key) => {
      if (!Object.hasOwn(data, key)) return;
      delete data[key];
      changed();
    },
  };
}
