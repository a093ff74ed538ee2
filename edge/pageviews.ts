/**
 * Pageview sections: a `$pageview` is counted per section of the app, not per
 * resource or per filter change, so `/acme/issues/MUL-12?tab=activity` and
 * `/acme/issues/8d5c3a4e-…` are both the section `/acme/issues`.
 */
import { IngestLimits } from '@strix/contracts';

/** Stands for an id in the middle of a route: `/users/123/settings` → `/users/:id/settings`. */
export const ID_SEGMENT = ':id';

const number = /^\d+(?:[-_.,]\d+)*$/;
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const issueKey = /^[A-Z][A-Z0-9]*-\d+$/;
const hex = /^[0-9a-f]{7,}$/i;
const slugWithHexId = /[-_]([0-9a-f]{8,})$/i;
const email = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const base64url = /^[A-Za-z0-9_-]{16,}$/;
const digit = /\d/;

type CharClass = 'lower' | 'upper' | 'digit';
const classOf = (c: string): CharClass => (c >= '0' && c <= '9' ? 'digit' : c === c.toLowerCase() ? 'lower' : 'upper');

/**
 * Whether a base64url token looks machine-made (nanoid, cuid, ULID, Stripe and
 * Firebase ids) rather than written (`getting-started-with-v2`, `Windows10Pro`).
 * Within each `-`/`_`-separated run, written words switch between letters and
 * digits rarely and between cases only at word starts; random tokens do both
 * constantly. Measured on such ids and slugs, the two thresholds below separate them.
 */
function looksRandom(token: string): boolean {
  if (!base64url.test(token) || !digit.test(token)) return false;
  let pairs = 0;
  let changes = 0;
  let letterDigitSwitches = 0;
  for (const run of token.split(/[-_]/)) {
    for (let i = 1; i < run.length; i++) {
      const [a, b] = [classOf(run[i - 1]!), classOf(run[i]!)];
      pairs++;
      if (a !== b) changes++;
      if ((a === 'digit') !== (b === 'digit')) letterDigitSwitches++;
    }
  }
  return letterDigitSwitches >= 5 || changes >= pairs / 2;
}

/**
 * Whether a path segment names one resource rather than a section. Ids are:
 * numbers, also dotted or dashed (`42`, `2024`, `2024-05-12`, `1.2.3`): a number
 * cannot be told from an id by its look, and at section granularity `/blog/2024`
 * is `/blog`; UUIDs; issue keys (`MUL-12`: an uppercase key, a dash, a number);
 * hex of 7+ characters with a digit (SHAs, ObjectIds); a slug ending in such hex
 * (`Meeting-notes-8d5c1e2f3a4b`); email addresses; and long random-looking tokens.
 * Words stay, with or without digits: `settings`, `v2`, `2fa`, `step-2`, `iphone-15`.
 */
export function isIdSegment(segment: string): boolean {
  if (number.test(segment) || uuid.test(segment) || issueKey.test(segment) || email.test(segment)) return true;
  if (hex.test(segment) && digit.test(segment)) return true;
  const suffix = slugWithHexId.exec(segment)?.[1];
  if (suffix !== undefined && digit.test(suffix)) return true;
  return looksRandom(segment);
}

/** Percent-decoded for display and matching; kept as sent when it is not valid or would hide a `/`. */
function decodeSegment(segment: string): string {
  try {
    const decoded = decodeURIComponent(segment);
    return decoded.includes('/') ? segment : decoded;
  } catch {
    return segment;
  }
}

/**
 * The path of a page as sent: a path, a full URL, or a deep link. Web URLs
 * lose scheme and host; other schemes (`myapp://settings/profile`) keep what
 * follows `//`, where apps put their route. A path starting `//` is a path
 * (pathnames can hold empty segments), not a host. A hash starting with `/` or `!/`
 * is a client-side router's route and joins the path; any other hash is an
 * anchor and goes, as does every query string.
 */
function pathOf(raw: string): string {
  let rest = raw.trim();
  const web = /^https?:\/\/[^/?#]*/i.exec(rest);
  if (web) rest = rest.slice(web[0].length);
  else {
    const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(rest);
    if (scheme) rest = rest.slice(scheme[0].length);
  }
  const hashAt = rest.indexOf('#');
  const hash = hashAt === -1 ? '' : rest.slice(hashAt + 1);
  const path = (hashAt === -1 ? rest : rest.slice(0, hashAt)).replace(/\?.*$/s, '');
  const route = /^!?\//.exec(hash) ? hash.replace(/^!/, '').replace(/\?.*$/s, '') : '';
  return `${path}/${route}`;
}

/**
 * A page's section, the route a pageview is counted under. Query, hash and
 * host go; `.`/`..` and empty segments resolve as a browser would. Ids (see
 * `isIdSegment`) in the middle become `:id`, and trailing ids are dropped, so a
 * resource's page counts for its collection. Nothing is lowercased: paths are
 * case-sensitive. The result starts with `/`, has no trailing `/` (`''` is `/`),
 * and fits `screen_name` (at most 256 characters, whole segments first).
 */
export function normalizePagePath(raw: string): string {
  const segments: string[] = [];
  for (const part of pathOf(raw).split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') segments.pop();
    else {
      const segment = decodeSegment(part);
      segments.push(isIdSegment(segment) ? ID_SEGMENT : segment);
    }
  }
  const max = IngestLimits.maxShortFieldChars;
  const length = () => segments.reduce((sum, s) => sum + s.length + 1, 0);
  while (segments.length > 1 && length() > max) segments.pop();
  while (segments.at(-1) === ID_SEGMENT) segments.pop();
  return `/${segments.join('/')}`.slice(0, max);
}

/**
 * Remembers each visitor's last section (key: project and session, or user)
 * to drop a pageview that repeats it: a reload, or a filter or tab change the
 * section absorbed. Bounded as an LRU: the visitor not seen for longest is
 * forgotten first, and at worst their next pageview is kept. Per process, so
 * behind several edges a repeat may pass; it is a cost saving, not a guarantee.
 */
export class PageviewDeduper {
  private readonly last = new Map<string, string>();

  constructor(readonly capacity = 100_000) {}

  /** Whether `section` is the key's previous section; records it either way. */
  isRepeat(key: string, section: string): boolean {
    const previous = this.last.get(key);
    if (previous !== undefined) this.last.delete(key);
    else if (this.last.size >= this.capacity) {
      const oldest = this.last.keys().next();
      if (!oldest.done) this.last.delete(oldest.value);
    }
    this.last.set(key, section);
    return previous === section;
  }

  get size(): number {
    return this.last.size;
  }
}
