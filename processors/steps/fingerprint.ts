import { createHash } from 'node:crypto';
import { canonicalLevel } from '@strix/contracts';
import { normalizeMessage } from './normalize-message.ts';

/**
 * Identifies the issue an error belongs to: SHA-256 (hex) over the app, the dev flag,
 * the source module and the normalized message. Issues are scoped per app and per
 * dev/prod mode, and the same message from two modules is two problems.
 *
 * The parts are hashed as a JSON array, which cannot be ambiguous whatever characters a
 * client puts in `source_module` — a plain separator could be forged by sending it.
 * An absent source module and an empty one are the same: both mean "unknown".
 */
export function fingerprintOf(
  appId: string,
  isDev: boolean,
  sourceModule: string | undefined,
  message: string,
): string {
  const parts = [appId, isDev, sourceModule ?? '', normalizeMessage(message)];
  return createHash('sha256').update(JSON.stringify(parts), 'utf8').digest('hex');
}

/** The event fields an issue fingerprint depends on. */
export interface FingerprintInput {
  readonly app_id: string;
  readonly is_dev: boolean;
  readonly level: string;
  readonly source_module?: string | undefined;
  readonly message: string;
}

/**
 * Only error-level events become issues; every other event gets '' so the warehouse
 * column stays non-nullable and "has a fingerprint" is a plain comparison.
 */
export function fingerprintOfEvent(event: FingerprintInput): string {
  if (canonicalLevel(event.level) !== 'error') return '';
  return fingerprintOf(event.app_id, event.is_dev, event.source_module, event.message);
}
