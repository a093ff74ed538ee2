import { RingBuffer } from './ring-buffer.ts';
import { Limits, text } from './wire.ts';

export interface Breadcrumb {
  message: string;
  /** What kind of step: `track`, `navigation`, `http`, `ui`… */
  category?: string;
  level?: 'debug' | 'info' | 'warn' | 'error';
  data?: Record<string, unknown>;
}

/**
 * A crumb as stored in the `breadcrumbs` attribute, in the names Strix's Sentry route keeps too,
 * so a trail reads the same whichever SDK sent it.
 */
interface StoredCrumb {
  /** ISO 8601. */
  timestamp: string;
  category?: string;
  level?: string;
  message: string;
  /** Kept only while the crumb's JSON stays within 300 characters, as the Sentry route does. */
  data?: Record<string, unknown>;
}

/** The attribute an error carries its trail in. */
export const BREADCRUMBS_ATTRIBUTE = 'breadcrumbs';

const maxCrumbChars = 300;

/**
 * The last steps before an error: kept in a small ring and attached to the next error as one
 * attribute (`breadcrumbs`, a JSON list, oldest first) holding as many of the newest as fit the
 * server's 2,048 characters per attribute value.
 */
export class Breadcrumbs {
  private readonly ring: RingBuffer<StoredCrumb>;

  constructor(capacity: number) {
    this.ring = new RingBuffer(capacity);
  }

  add(crumb: Breadcrumb, nowMs: number): void {
    const stored: StoredCrumb = { timestamp: new Date(nowMs).toISOString(), message: text(String(crumb.message ?? ''), 200) };
    if (crumb.category) stored.category = text(String(crumb.category), 40);
    if (crumb.level) stored.level = crumb.level;
    const data = plainData(crumb.data);
    if (data && JSON.stringify({ ...stored, data }).length <= maxCrumbChars) stored.data = data;
    this.ring.push(stored);
  }

  /** The trail as the attribute's value, or undefined when empty. */
  attribute(): string | undefined {
    const crumbs = this.ring.toArray();
    if (crumbs.length === 0) return undefined;
    const parts: string[] = [];
    let chars = 2;
    for (let i = crumbs.length - 1; i >= 0; i--) {
      const json = JSON.stringify(crumbs[i]);
      if (chars + json.length + 1 > Limits.maxAttributeValueChars) break;
      parts.unshift(json);
      chars += json.length + 1;
    }
    return `[${parts.join(',')}]`;
  }

  clear(): void {
    this.ring.clear();
  }
}

/** The data as plain JSON (a copy, so later changes by the host do not show), or undefined if it has none or cannot be. */
function plainData(data: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!data || typeof data !== 'object') return undefined;
  try {
    const copy: unknown = JSON.parse(JSON.stringify(data));
    return copy !== null && typeof copy === 'object' && !Array.isArray(copy) && Object.keys(copy).length > 0 ? (copy as Record<string, unknown>) : undefined;
  } catch {
    // Cycles, BigInts and throwing getters: the crumb goes without its data.
    return undefined;
  }
}
