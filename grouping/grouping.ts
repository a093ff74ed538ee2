import { canonicalLevel } from '@strix/contracts';
import { hashGroupingJson } from './fingerprint.ts';
import {
  currentGroupingConfig,
  EventFacts,
  groupingConfigs,
  partsOf,
  type GroupingBasis,
  type GroupingConfigId,
  type GroupingInput,
} from './grouping-configs.ts';
import { describeCulprit } from './stack-frames.ts';

/** What the warehouse row records about an event's issue. */
export interface Grouping {
  /** SHA-256 hex under `config`; '' for events that do not become issues. */
  readonly fingerprint: string;
  /** The fingerprint under `config`'s previous config; '' when there is none or it is the same. */
  readonly previous: string;
  /** '' for events that do not become issues. */
  readonly config: GroupingConfigId | '';
  readonly basis: GroupingBasis | 'none';
  /** The exception type as sent (trimmed), kept for every level; '' when none. */
  readonly exceptionType: string;
  /** The innermost in-app frame as `function (file)`, for issue titles; '' when unknown. */
  readonly culprit: string;
}

const notGrouped: Grouping = Object.freeze({
  fingerprint: '',
  previous: '',
  config: '',
  basis: 'none',
  exceptionType: '',
  culprit: '',
});

/** Only errors (and their aliases: fatal, ERROR, ...) are grouped into issues. */
export function becomesIssue(level: string): boolean {
  return canonicalLevel(level) === 'error';
}

/**
 * Assigns an event to an issue. Only error-level events become issues; every other
 * event gets '' fingerprints, so the warehouse columns stay non-nullable and "has a
 * fingerprint" is a plain comparison — and the 98% of events that are not errors pay
 * for nothing but a level check.
 *
 * Why `previous`: an upgrade of the rules would otherwise silently regroup every
 * existing issue (new fingerprints, new issues, history split in two). Each row stores
 * the fingerprint under the current config and under the config it replaced. When the
 * issue scan meets a current fingerprint that no issue owns yet, it looks up the issue
 * owning the previous fingerprint and maps the new one onto it; only when neither is
 * known does it open a new issue. Existing issues keep receiving their events, and the
 * finer new rules apply to problems first seen after the upgrade. One step is enough:
 * issues seen under the config before last were already mapped while it was current.
 */
export function groupEvent(event: GroupingInput, configId: GroupingConfigId = currentGroupingConfig): Grouping {
  if (!becomesIssue(event.level)) {
    const exceptionType = event.exception?.type?.trim() ?? '';
    return exceptionType === '' ? notGrouped : { ...notGrouped, exceptionType };
  }
  const facts = new EventFacts(event);
  const config = groupingConfigs[configId];
  const current = config.group(facts);
  const json = JSON.stringify(partsOf(current));
  let previous = '';
  if (config.previous !== undefined) {
    // Equal parts mean an equal hash: compare the text and skip the second digest.
    const previousJson = JSON.stringify(partsOf(groupingConfigs[config.previous].group(facts)));
    if (previousJson !== json) previous = hashGroupingJson(previousJson);
  }
  return {
    fingerprint: hashGroupingJson(json),
    previous,
    config: configId,
    basis: current.basis,
    exceptionType: facts.exceptionType,
    culprit: describeCulprit(event.exception?.stacktrace?.frames),
  };
}
