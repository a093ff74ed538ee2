import type { StrixClient } from './api.ts';

/**
 * What a browser page tells the SDK on its own: the page (for pageviews) and uncaught errors. Only
 * the path of a URL is read — never its query string or an anchor, which carry tokens, search
 * terms and emails — plus a hash that is a client-side router's route (`#/settings`).
 */
export function currentPath(): string | undefined {
  const location = globalThis.location;
  if (!location) return undefined;
  const hash = location.hash;
  const route = hash.startsWith('#/') || hash.startsWith('#!/') ? hash : '';
  return location.pathname + route;
}

/**
 * A `$pageview` now and on every history change (`pushState`, `replaceState`, back and forward,
 * hash routes), skipping changes that keep the path (a query or filter change). Returns its removal,
 * which restores `history`'s methods if no one wrapped them since.
 */
export function watchPageviews(client: StrixClient): () => void {
  const history = globalThis.history;
  if (!history || typeof window === 'undefined') return () => {};
  let last: string | undefined;
  const changed = () => {
    const path = currentPath();
    if (path === undefined || path === last) return;
    last = path;
    client.pageview(path);
  };
  // Kept unbound on purpose: the wrappers call them with the `this` they were called with.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const original = { pushState: history.pushState, replaceState: history.replaceState };
  const wrap = (method: 'pushState' | 'replaceState') => {
    const wrapped = function (this: History, ...args: Parameters<History['pushState']>) {
      const result = original[method].apply(this, args);
      try {
        changed();
      } catch {
        // The host's navigation must never fail because of the SDK.
      }
      return result;
    };
    history[method] = wrapped;
    return wrapped;
  };
  const pushState = wrap('pushState');
  const replaceState = wrap('replaceState');
  window.addEventListener('popstate', changed);
  window.addEventListener('hashchange', changed);
  changed();
  return () => {
    if (history.pushState === pushState) history.pushState = original.pushState;
    if (history.replaceState === replaceState) history.replaceState = original.replaceState;
    window.removeEventListener('popstate', changed);
    window.removeEventListener('hashchange', changed);
  };
}

/**
 * Uncaught errors and unhandled rejections as error events. Listeners only: the page's own
 * handlers and the console still see every error.
 */
export function watchUncaughtErrors(client: StrixClient): () => void {
  if (typeof window === 'undefined') return () => {};
  const onError = (event: ErrorEvent) => {
    // A cross-origin script's error arrives without its error ("Script error."): its message is all there is.
    if (event.error !== undefined && event.error !== null) client.captureException(event.error, { attributes: { mechanism: 'onerror' } });
    else client.error(event.message || 'Script error', { attributes: { mechanism: 'onerror' } });
  };
  const onRejection = (event: PromiseRejectionEvent) => {
    client.captureException(event.reason, { attributes: { mechanism: 'unhandledrejection' } });
  };
  window.addEventListener('error', onError);
  window.addEventListener('unhandledrejection', onRejection);
  return () => {
    window.removeEventListener('error', onError);
    window.removeEventListener('unhandledrejection', onRejection);
  };
}
