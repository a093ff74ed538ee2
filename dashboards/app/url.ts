/**
 * Every view's state lives in its URL (path and query), so any view can be
 * linked and reopened. Navigation is pushState; a listener re-renders.
 */
import { useEffect, useState } from 'preact/hooks';

type Listener = () => void;
const listeners = new Set<Listener>();
const notify = () => listeners.forEach((l) => l());
addEventListener('popstate', notify);

/** The current location, re-rendering its caller when it changes. */
export function useLocation(): URL {
  const [, setTick] = useState(0);
  useEffect(() => {
    const listener = () => setTick((t) => t + 1);
    listeners.add(listener);
    return () => void listeners.delete(listener);
  }, []);
  return new URL(location.href);
}

/** Goes to `href` (same origin), keeping history; `replace` edits the current entry instead. */
export function navigate(href: string, replace = false): void {
  if (replace) history.replaceState(null, '', href);
  else history.pushState(null, '', href);
  scrollTo(0, 0);
  notify();
}

/** The current URL with some query parameters set (a value of undefined removes one). */
export function withQuery(changes: Record<string, string | undefined>, base: URL = new URL(location.href)): string {
  const url = new URL(base.href);
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined || value === '') url.searchParams.delete(key);
    else url.searchParams.set(key, value);
  }
  return `${url.pathname}${url.search}`;
}

/** A link that navigates in the app (a modified click still opens a new tab as usual). */
export function onLinkClick(event: MouseEvent): void {
  const anchor = (event.target as Element | null)?.closest('a');
  if (!anchor || anchor.origin !== location.origin || anchor.target || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  if (anchor.pathname.startsWith('/v1/')) return;
  event.preventDefault();
  navigate(`${anchor.pathname}${anchor.search}`);
}
