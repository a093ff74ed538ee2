import { IngestLimits } from '@strix/contracts';
import type { SentryBreadcrumb } from './sentry-event.ts';

const { maxAttributes, maxAttributeKeyChars, maxAttributeValueChars } = IngestLimits;

/** At most `max` UTF-16 units, never ending between the two halves of a surrogate pair (that would not be text). */
export function truncateText(text: string, max: number): string {
  if (text.length <= max) return text;
  const last = text.charCodeAt(max - 1);
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? max - 1 : max);
}

type AttributeValue = string | number | boolean;

/**
 * The attributes of one Strix event, gathered from many Sentry fields (tags, user details,
 * contexts, breadcrumbs, extra) within Strix's limits: at most 50 keys, keys of at most 128
 * characters, values of at most 2048. Sentry itself drops a tag it cannot keep rather than the
 * event, so here too a key over the limit is skipped and a long value is cut; the first field
 * to claim a key keeps it, and fields are added in order of importance (tags first).
 * `origins` records which Sentry field each key came from, for error messages.
 */
export class AttributeBudget {
  readonly values: Record<string, AttributeValue> = {};
  readonly origins = new Map<string, string>();

  /** Adds `key` unless it is taken, too long, or the budget is spent; null and empty values are skipped. */
  add(key: string, value: unknown, origin: string): void {
    if (key === '' || key.length > maxAttributeKeyChars || this.origins.has(key) || this.origins.size >= maxAttributes) return;
    const kept = attributeValue(value);
    if (kept === undefined) return;
    this.values[key] = kept;
    this.origins.set(key, origin);
  }

  get size(): number {
    return this.origins.size;
  }
}

function attributeValue(value: unknown): AttributeValue | undefined {
  if (typeof value === 'string') return value === '' ? undefined : truncateText(value, maxAttributeValueChars);
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (value === null || value === undefined) return undefined;
  // Objects and arrays (extra data): their JSON, cut to the limit.
  const json = JSON.stringify(value) as string | undefined;
  return json === undefined ? undefined : truncateText(json, maxAttributeValueChars);
}

/** Seconds since the epoch (Sentry's float timestamps) or an ISO string, as ISO 8601; undefined when neither. */
export function isoTime(raw: number | string | null | undefined): string | undefined {
  if (raw == null) return undefined;
  const ms = typeof raw === 'number' ? raw * 1000 : Date.parse(raw);
  return Number.isFinite(ms) && Math.abs(ms) < 8.64e15 ? new Date(ms).toISOString() : undefined;
}

/** A breadcrumb's data is kept only while its entry stays this short: the trail matters more than one crumb's payload. */
const maxBreadcrumbChars = 300;

/**
 * The breadcrumb trail as one attribute: a JSON array, oldest first, of the most recent
 * breadcrumbs that fit in one attribute value (SDKs keep up to 100; the last steps before an
 * error are the ones that explain it).
 */
export function breadcrumbTrail(breadcrumbs: readonly SentryBreadcrumb[]): string | undefined {
  const kept: string[] = [];
  let length = 2; // the brackets
  for (let i = breadcrumbs.length - 1; i >= 0; i--) {
    const crumb = breadcrumbs[i];
    if (!crumb) continue;
    const entry = compactBreadcrumb(crumb);
    if (!entry) continue;
    const room = maxAttributeValueChars - length - (kept.length > 0 ? 1 : 0);
    const json = fitted(entry, room);
    if (json === undefined) break;
    kept.push(json);
    length += json.length + (kept.length > 1 ? 1 : 0);
  }
  return kept.length > 0 ? `[${kept.reverse().join(',')}]` : undefined;
}

interface CompactBreadcrumb {
  timestamp?: string;
  type?: string;
  category?: string;
  level?: string;
  message?: string;
  data?: Record<string, unknown>;
}

function compactBreadcrumb(crumb: SentryBreadcrumb): CompactBreadcrumb | undefined {
  const entry: CompactBreadcrumb = {};
  const timestamp = isoTime(crumb.timestamp);
  if (timestamp) entry.timestamp = timestamp;
  if (crumb.type) entry.type = crumb.type;
  if (crumb.category) entry.category = crumb.category;
  if (crumb.level) entry.level = crumb.level;
  if (crumb.message) entry.message = crumb.message;
  if (crumb.data && Object.keys(crumb.data).length > 0) entry.data = crumb.data;
  return entry.message || entry.category || entry.data ? entry : undefined;
}

/** The entry's JSON within `room` characters: without its data if need be, then with its message cut; undefined when even that does not fit. */
function fitted(entry: CompactBreadcrumb, room: number): string | undefined {
  const whole = JSON.stringify(entry);
  if (whole.length <= Math.min(room, maxBreadcrumbChars)) return whole;
  const bare = { ...entry };
  delete bare.data;
  const json = JSON.stringify(bare);
  if (json.length <= room) return json;
  if (!bare.message) return undefined;
  // The longest cut of the message that fits (escapes make its JSON longer than itself).
  const withMessage = (length: number) => JSON.stringify({ ...bare, message: truncateText(bare.message ?? '', length) });
  let [fits, tooLong] = [0, bare.message.length];
  while (tooLong - fits > 1) {
    const middle = Math.floor((fits + tooLong) / 2);
    if (withMessage(middle).length <= room) fits = middle;
    else tooLong = middle;
  }
  return fits > 0 ? withMessage(fits) : undefined;
}
