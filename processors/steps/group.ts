import { groupEvent, type Grouping } from '@strix/grouping';
import type { NormalizedEvent } from './normalize.ts';
import { ok, type EventStep } from './step.ts';

/** A normalized event with its grouping: what the row step needs. */
export interface GroupedEvent {
  readonly event: NormalizedEvent;
  readonly grouping: Grouping;
}

/**
 * Fingerprint, grouping config and culprit of each event, by `@strix/grouping`.
 * Every event gets one (a non-error's is empty), so this step never drops.
 */
export function createGroupStep(): EventStep<NormalizedEvent, GroupedEvent> {
  return (event, { batch }) => {
    const { is_dev, level, source_module, message, fingerprint, exception } = event;
    const grouping = groupEvent({ app_id: batch.app_id, is_dev, level, source_module, message, fingerprint, exception });
    return ok({ event, grouping });
  };
}
