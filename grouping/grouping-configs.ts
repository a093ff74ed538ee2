import type { EventException } from '@strix/contracts';
import { strix1Parts, type GroupingPart } from './fingerprint.ts';
import { normalizeMessage } from './normalize-message.ts';
import { inAppFrameIdentities, type FrameIdentity } from './stack-frames.ts';

/**
 * The rules that decide which issue an error belongs to, versioned. A config's rules
 * never change once its fingerprints are stored: better rules become a new config that
 * names the one it replaces as `previous` (see `groupEvent` for how issues carry over).
 */

/** The event fields grouping reads; the pipeline passes a normalized event and its app. */
export interface GroupingInput {
  readonly app_id: string;
  readonly is_dev: boolean;
  readonly level: string;
  readonly source_module?: string | undefined;
  readonly message: string;
  readonly fingerprint?: readonly string[] | undefined;
  readonly exception?: EventException | undefined;
}

/** Which rule produced a fingerprint: a client's key, the app's stack frames, or the message. */
export type GroupingBasis = 'fingerprint' | 'stack' | 'message';

export interface GroupingParts {
  readonly basis: GroupingBasis;
  readonly parts: readonly GroupingPart[];
}

/**
 * One error's derived values, each computed at most once however many configs read it:
 * message normalization and frame classification are the costly parts of grouping.
 */
export class EventFacts {
  readonly exceptionType: string;
  private messageShapeCache: string | undefined;
  private valueShapeCache: string | undefined;
  private framesCache: FrameIdentity[] | undefined;

  constructor(readonly event: GroupingInput) {
    this.exceptionType = event.exception?.type?.trim() ?? '';
  }

  get messageShape(): string {
    return (this.messageShapeCache ??= normalizeMessage(this.event.message));
  }

  /** The exception's own text when the SDK sent one; a log call's message often wraps it. */
  get errorTextShape(): string {
    const value = this.event.exception?.value;
    if (value === undefined || value.trim() === '') return this.messageShape;
    return (this.valueShapeCache ??= normalizeMessage(value));
  }

  get inAppFrames(): FrameIdentity[] {
    return (this.framesCache ??= inAppFrameIdentities(this.event.exception?.stacktrace?.frames));
  }
}

export type GroupingConfigId = 'strix-1' | 'strix-2';

export interface GroupingConfig {
  readonly id: GroupingConfigId;
  /** The config this one replaced; its fingerprint is stored beside this one's. */
  readonly previous: GroupingConfigId | undefined;
  readonly group: (facts: EventFacts) => GroupingParts;
}

/** Sentry's placeholder for "the grouping you would have done without me". */
const DEFAULT_PLACEHOLDER = /^\{\{\s*default\s*\}\}$/;

/**
 * strix-2's grouping without a client fingerprint, leaving out the app/dev scope. With
 * in-app frames: the exception type and those frames. Otherwise the source module, the
 * normalized error text and, when known, the exception type — appended only then, so an
 * error without exception details keeps exactly its strix-1 parts and fingerprint.
 *
 * The shapes cannot collide once scoped: a stack's last part is a list, a message's a
 * string, and a client fingerprint is a single list (see `strix2`).
 */
function strix2Default(facts: EventFacts): GroupingParts {
  const frames = facts.inAppFrames;
  if (frames.length > 0) return { basis: 'stack', parts: [facts.exceptionType, frames] };
  const { source_module } = facts.event;
  const parts: GroupingPart[] = [source_module ?? '', facts.errorTextShape];
  if (facts.exceptionType !== '') parts.push(facts.exceptionType);
  return { basis: 'message', parts };
}

/**
 * A client fingerprint replaces the default grouping; each "{{ default }}" entry in it
 * stands for the default's parts (nested, so no client string can imitate them). A
 * fingerprint of "{{ default }}" alone is the default grouping itself, as in Sentry.
 */
function strix2(facts: EventFacts): GroupingParts {
  const { app_id, is_dev, fingerprint } = facts.event;
  const onlyDefault = fingerprint?.length === 1 && DEFAULT_PLACEHOLDER.test(fingerprint[0] ?? '');
  if (fingerprint !== undefined && fingerprint.length > 0 && !onlyDefault) {
    let fallback: GroupingParts | undefined;
    const entries = fingerprint.map((entry): GroupingPart =>
      DEFAULT_PLACEHOLDER.test(entry) ? (fallback ??= strix2Default(facts)).parts : entry,
    );
    return { basis: 'fingerprint', parts: [app_id, is_dev, entries] };
  }
  const fallback = strix2Default(facts);
  return { basis: fallback.basis, parts: [app_id, is_dev, ...fallback.parts] };
}

export const groupingConfigs: Readonly<Record<GroupingConfigId, GroupingConfig>> = {
  'strix-1': {
    id: 'strix-1',
    previous: undefined,
    group: (facts) => ({
      basis: 'message',
      parts: strix1Parts(facts.event.app_id, facts.event.is_dev, facts.event.source_module, facts.messageShape),
    }),
  },
  'strix-2': { id: 'strix-2', previous: 'strix-1', group: strix2 },
};

/** The config new events are grouped by. */
export const currentGroupingConfig: GroupingConfigId = 'strix-2';

/** For readers of the stored `grouping_config` column. */
export function isGroupingConfigId(value: string): value is GroupingConfigId {
  return Object.hasOwn(groupingConfigs, value);
}
