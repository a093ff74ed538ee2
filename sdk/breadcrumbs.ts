import { RingBuffer } from './ring-buffer.ts';
import { Limits, anyText, text } from './wire.ts';

export interface Breadcrumb {
  message: string;
  /** What kind of step: `track`, `navigation`, `http`, `ui`… */
  category?: string;
  level?: 'debug' | 'info' | 'warn' | 'error';
  data?: Record<string, unknown>;
}

interface StoredCrumb {
  t: number;
  c?: string;
  l?: string;
  m: string;
  d?: string;
}

/** The attribute an error carries its trail in. */
export const BREADCRUMBS_ATTRIBUTE = 'breadcrumbs';

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
    const stored: StoredCrumb = { t: nowMs, m: text(String(crumb.message ?? ''), 200) };
    if (crumb.category) stored.c = text(String(crumb.category), 40);
    if (crumb.level) stored.l = crumb.level;
    if (crumb.data) stored.d = anyText(crumb.data, 300);
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
