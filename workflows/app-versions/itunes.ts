/**
 * The App Store's public lookup (Apple's iTunes Search API), by bundle id:
 * `GET {baseUrl}/lookup?bundleId=…&country=…`, no key. What this relies on of
 * the answer (a recorded one of a published app):
 *
 *   { "resultCount": 1, "results": [{ "wrapperType": "software", "kind": "software",
 *     "trackId": 1303221657, "bundleId": "com.aney00.Briefinsta", "version": "0.1.3",
 *     "currentVersionReleaseDate": "2017-11-01T17:33:14Z", … }] }
 *
 * An app the storefront does not list answers 200 with `"resultCount": 0` and no
 * results: "not in the store", an expected outcome, not a failure. Apple's pages
 * (performance-partners.apple.com/search-api, and the archived "Understanding
 * Search Results") document the URL form and the JSON result keys.
 *
 * Outcomes are returned, never thrown: an hourly job reads them.
 */

export const defaultITunesBaseUrl = 'https://itunes.apple.com';

export interface ITunesClientOptions {
  /** Where the lookup endpoint lives: Apple's by default, a stand-in in tests. */
  baseUrl?: string;
  /** The storefront, two letters; `us` by default. An app sold only elsewhere is not found in it. */
  country?: string;
  /** Time for the whole answer, body included. */
  timeoutMs?: number;
  /**
   * Least time between the end of one request of this client and the start of
   * the next (they run one at a time). Apple asks callers of the Search API to
   * stay near 20 calls a minute: hence 3 s.
   */
  minIntervalMs?: number;
  /** Answers are a few KiB; a larger body is refused rather than buffered. */
  maxBodyBytes?: number;
}

export type StoreLookup =
  | { kind: 'found'; bundleId: string; version: string; trackId: number; /** `currentVersionReleaseDate`, epoch ms, when given. */ releasedAt: number | null }
  | { kind: 'not_found' }
  | { kind: 'failed'; reason: string; /** Whether asking again later may succeed (5xx, 429, timeouts, network). */ retry: boolean };

export interface ITunesLookup {
  lookup(bundleId: string): Promise<StoreLookup>;
}

// The bundle ids the API accepts for apps (api/routes/apps.ts): dot-separated labels of letters, digits, `-`
// and `_`. Only ids of this form reach the URL, and encoded even then.
const bundleIdPattern = /^[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9])?)+$/;
const maxBundleIdChars = 255;

/** Whether `bundleId` may be looked up: a reverse-DNS id of at most 255 characters. */
export function isLookupBundleId(bundleId: string): boolean {
  return bundleId.length <= maxBundleIdChars && bundleIdPattern.test(bundleId);
}

const failed = (reason: string, retry: boolean): StoreLookup => ({ kind: 'failed', reason, retry });
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createITunesClient(options: ITunesClientOptions = {}): ITunesLookup {
  const baseUrl = (options.baseUrl ?? defaultITunesBaseUrl).replace(/\/+$/, '');
  if (!/^https?:\/\/[^/?#]+/i.test(baseUrl)) throw new Error(`iTunes base URL: must be an http(s) URL, got "${baseUrl}"`);
  const country = (options.country ?? 'us').toLowerCase();
  if (!/^[a-z]{2}$/.test(country)) throw new Error(`iTunes country: must be a two-letter storefront code like us or de, got "${country}"`);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const minIntervalMs = options.minIntervalMs ?? 3_000;
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;

  // Requests run one at a time, each starting at least minIntervalMs after the one before ended: the store
  // then sees them at least that far apart, whatever the network did to the earlier one.
  let turns: Promise<unknown> = Promise.resolve();
  let nextStart = 0;
  const inTurn = (bundleId: string): Promise<StoreLookup> => {
    const turn = turns.then(async () => {
      const wait = nextStart - Date.now();
      if (wait > 0) await sleep(wait);
      try {
        return await request(bundleId);
      } finally {
        nextStart = Date.now() + minIntervalMs;
      }
    });
    turns = turn.catch(() => undefined);
    return turn;
  };

  async function request(bundleId: string): Promise<StoreLookup> {
    const what = `App Store lookup of ${bundleId}`;
    const url = `${baseUrl}/lookup?bundleId=${encodeURIComponent(bundleId)}&country=${encodeURIComponent(country)}`;
    let text: string;
    let status: number;
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
      status = response.status;
      const body = await readCapped(response, maxBodyBytes);
      if (body === undefined) return failed(`${what}: the answer exceeds ${maxBodyBytes} bytes`, false);
      text = body;
    } catch (error) {
      if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return failed(`${what}: no answer within ${timeoutMs} ms`, true);
      const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
      return failed(`${what}: request failed (${error instanceof Error ? error.message : String(error)}${cause})`, true);
    }
    if (status !== 200) return failed(`${what}: answered HTTP ${status}`, status >= 500 || status === 429);
    return readAnswer(what, bundleId, text);
  }

  return {
    async lookup(bundleId) {
      if (!isLookupBundleId(bundleId)) {
        return failed(`bundle id "${bundleId.slice(0, 80)}": not a reverse-DNS id like com.example.shop (letters, digits, '-', '_' in dot-separated labels, at most ${maxBundleIdChars} characters); not looked up`, false);
      }
      return inTurn(bundleId);
    },
  };
}

/** The body as text, or undefined when it grows past `max` bytes (the rest is not read). */
async function readCapped(response: Response, max: number): Promise<string | undefined> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function readAnswer(what: string, bundleId: string, text: string): StoreLookup {
  let answer: unknown;
  try {
    answer = JSON.parse(text);
  } catch {
    return failed(`${what}: the answer is not JSON`, true);
  }
  if (!isRecord(answer) || typeof answer.resultCount !== 'number' || !Array.isArray(answer.results)) {
    return failed(`${what}: the answer has no resultCount and results`, false);
  }
  // A lookup by bundle id answers with that app alone; matching it (case aside) keeps an answer about another app out.
  const app = answer.results.find((r): r is Record<string, unknown> => isRecord(r) && typeof r.bundleId === 'string' && r.bundleId.toLowerCase() === bundleId.toLowerCase());
  if (answer.resultCount === 0 || !app) return { kind: 'not_found' };
  const version = typeof app.version === 'string' ? app.version.trim() : '';
  if (version === '') return failed(`${what}: the store's result has no version`, false);
  if (typeof app.trackId !== 'number') return failed(`${what}: the store's result has no trackId`, false);
  const released = typeof app.currentVersionReleaseDate === 'string' ? Date.parse(app.currentVersionReleaseDate) : NaN;
  return { kind: 'found', bundleId: app.bundleId as string, version, trackId: app.trackId, releasedAt: Number.isNaN(released) ? null : released };
}
