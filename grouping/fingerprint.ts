import * as crypto from 'node:crypto';
import { normalizeMessage } from './normalize-message.ts';

/** What a grouping config hashes: text, flags, and nested lists of them. */
export type GroupingPart = string | boolean | readonly GroupingPart[];

/**
 * SHA-256 (hex) over the parts as a JSON array. JSON cannot be ambiguous whatever
 * characters a client puts in a field — a plain separator could be forged by sending
 * it — and nesting keeps a list (a stack, a client fingerprint) apart from a string.
 */
export function hashGroupingParts(parts: readonly GroupingPart[]): string {
  return hashGroupingJson(JSON.stringify(parts));
}

// One-shot `crypto.hash` (Node 20.12+) costs less than half of a Hash object per digest,
// and every error is hashed under two configs; the engines field still allows 20.10.
const sha256Hex: (text: string) => string =
  typeof crypto.hash === 'function'
    ? (text) => crypto.hash('sha256', text, 'hex')
    : (text) => crypto.createHash('sha256').update(text, 'utf8').digest('hex');

/** For callers that compare two configs' parts as JSON before paying for a second hash. */
export function hashGroupingJson(json: string): string {
  return sha256Hex(json);
}

/**
 * The parts of grouping config `strix-1`: the app, the dev flag, the source module and
 * the normalized message. Issues are scoped per app and per dev/prod mode, and the same
 * message from two modules is two problems. An absent source module and an empty one
 * are the same: both mean "unknown".
 *
 * Frozen: fingerprints stored under strix-1 must keep matching, so this never changes;
 * new rules go into a new config (see grouping-configs.ts).
 */
export function strix1Parts(appId: string, isDev: boolean, sourceModule: string | undefined, normalizedMessage: string): GroupingPart[] {
  return [appId, isDev, sourceModule ?? '', normalizedMessage];
}

/** The `strix-1` fingerprint of an error; `groupEvent` is what the pipeline calls. */
export function fingerprintOf(
  appId: string,
  isDev: boolean,
  sourceModule: string | undefined,
  message: string,
): string {
  return hashGroupingParts(strix1Parts(appId, isDev, sourceModule, normalizeMessage(message)));
}
