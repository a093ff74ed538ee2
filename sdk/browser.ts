/**
 * `@strix/sdk` in browsers (the package's `browser` condition; bundlers pick it).
 *
 *   import { init } from '@strix/sdk';
 *   const strix = init({ key: 'strix_client_…', endpoint: 'https://strix.example.com', consent: 'pending' });
 *   strix.track('cart.add', { props: { sku: 'A-1' } });
 */
import type { StrixClient, StrixOptions } from './api.ts';
import { currentPath, watchPageviews, watchUncaughtErrors } from './browser-watchers.ts';
import { createClient } from './client.ts';
import { NoopClient } from './noop-client.ts';
import type { KeyValueStorage, Platform } from './platform.ts';

export type * from './api.ts';
export type { Breadcrumb } from './breadcrumbs.ts';
export type { KeyValueStorage } from './platform.ts';
export { bucket, hashId, lengthBucket, tier } from './privacy.ts';

/** `localStorage` when the browser lets the page use it (private modes and sandboxed frames may refuse). */
function localStorageIfUsable(): KeyValueStorage | undefined {
  try {
    const storage = globalThis.localStorage;
    const probe = 'strix:probe';
    storage.setItem(probe, '1');
    storage.removeItem(probe);
    return storage;
  } catch {
    return undefined;
  }
}

async function gzip(body: string): Promise<Uint8Array> {
  const stream = new Blob([body]).stream().pipeThrough(new CompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function randomBytes(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  if (globalThis.crypto?.getRandomValues) return globalThis.crypto.getRandomValues(bytes);
  for (let i = 0; i < length; i++) bytes[i] = Math.floor(Math.random() * 256);
  return bytes;
}

const listen = (target: EventTarget | undefined, type: string, listener: () => void): (() => void) => {
  if (!target) return () => {};
  target.addEventListener(type, listener);
  return () => target.removeEventListener(type, listener);
};

function browserPlatform(): Platform {
  const doc = globalThis.document as Document | undefined;
  const win = typeof window === 'undefined' ? undefined : window;
  return {
    fetch: (input, init) => globalThis.fetch(input, init),
    ...(typeof CompressionStream === 'function' && { gzip }),
    storage: localStorageIfUsable(),
    randomBytes,
    monotonicMs: () => performance.now(),
    setTimer: (callback, ms) => setTimeout(callback, ms),
    clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
    isOnline: () => globalThis.navigator?.onLine !== false,
    context: { ...(globalThis.navigator?.language && { locale: globalThis.navigator.language }) },
    // `visibilitychange` to hidden is the last event mobile browsers reliably fire; `pagehide` covers the rest.
    onHide: (listener) => {
      const onVisibility = () => {
        if (doc?.visibilityState === 'hidden') listener();
      };
      const removals = [listen(doc, 'visibilitychange', onVisibility), listen(win, 'pagehide', listener)];
      return () => removals.forEach((remove) => remove());
    },
    onOnline: (listener) => listen(win, 'online', listener),
    keepalive: typeof Request === 'function' && 'keepalive' in Request.prototype,
    ...(typeof globalThis.navigator?.sendBeacon === 'function' && {
      beacon: (url: string, body: string) => globalThis.navigator.sendBeacon(url, new Blob([body], { type: 'text/plain' })),
    }),
  };
}

/** Starts the SDK. Without `key`, every call of the client is a no-op. Never throws. */
export function init(options: StrixOptions): StrixClient {
  try {
    const endpoint = options?.endpoint ?? globalThis.location?.origin;
    return createClient({ ...options, ...(endpoint && { endpoint }) }, browserPlatform(), {
      currentPath,
      install: (client, o) => [...(o.autoPageviews !== false ? [watchPageviews(client)] : []), ...(o.captureUnhandled !== false ? [watchUncaughtErrors(client)] : [])],
    });
  } catch {
    return new NoopClient();
  }
}
