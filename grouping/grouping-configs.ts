import type { EventException } from '@strix/contracts';
import type { GroupingPart } from './fingerprint.ts';
import { normalizeMessage } from './normalize-message.ts';
import { inAppFrameIdentities, type FrameIdentity } from './stack-frames.ts';

/**
 * The rules that decide which issue an error belongs to, versioned. A config's rules
 * never change once its fingerprints are stored: better rules become a new config that
 * names the one it replaces as `previous` (see `groupEvent` for how issues carry over).
 *
 * Changelog
 * - strix-1: the app, the dev flag, the source module and the normalized message
 *   (numbers, ids, addresses, times and quoted values become tokens). Frozen: rows
 *   stored before grouping was versioned carry its fingerprints.
 * - strix-2 (current; previous: strix-1): a client fingerprint, when sent, replaces
 *   the default grouping, its "{{ default }}" entries standing for the default's
 *   components. The default groups by the exception type and the app's own stack
 *   frames (function and normalized file; no line numbers, build paths or bundle
 *   hashes) when the stack has any; otherwise by the source module, the normalized
 *   exception value (else the message) and the exception type. An error with neither
 *   frames nor exception details keeps its strix-1 fingerprint.
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

/** The inputs a config may hash, named as the grouping explanation names them. */
export type ComponentName =
  | 'app_id'
  | 'is_dev'
  | 'client_fingerprint'
  | 'exception_type'
  | 'in_app_frames'
  | 'source_module'
  | 'exception_value'
  | 'message';

/** A component a config hashed. */
export interface HashedComponent {
  readonly name: ComponentName;
  readonly part: GroupingPart;
  /** A client fingerprint's "{{ default }}": the default grouping nested in `part`. */
  readonly expands?: ConfigGrouping | undefined;
}

/**
 * One config's decision on one error: the fingerprint is the hash of the hashed parts, in
 * order. What it left out is every other component; why is said only when an explanation
 * asks (`GroupingConfig.whyIgnored`), so grouping an event builds no words.
 */
export interface ConfigGrouping {
  readonly basis: GroupingBasis;
  readonly hashed: readonly HashedComponent[];
}

/** What a config's fingerprint is the hash of. */
export function partsOf(grouping: ConfigGrouping): GroupingPart[] {
  return grouping.hashed.map((component) => component.part);
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
  private errorTextFieldCache: 'exception_value' | 'message' | undefined;

  constructor(readonly event: GroupingInput) {
    this.exceptionType = event.exception?.type?.trim() ?? '';
  }

  get messageShape(): string {
    return (this.messageShapeCache ??= normalizeMessage(this.event.message));
  }

  /** The exception's own text when the SDK sent one; a log call's message often wraps it. */
  get errorTextField(): 'exception_value' | 'message' {
    return (this.errorTextFieldCache ??= this.event.exception?.value?.trim() ? 'exception_value' : 'message');
  }

  get errorTextShape(): string {
    if (this.errorTextField === 'message') return this.messageShape;
    return (this.valueShapeCache ??= normalizeMessage(this.event.exception?.value ?? ''));
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
  readonly group: (facts: EventFacts) => ConfigGrouping;
  /** Why `grouping` left out a component, in words: for explanations only. */
  readonly whyIgnored: (name: ComponentName, grouping: ConfigGrouping, facts: EventFacts) => string;
}

/** Sentry's placeholder for "the grouping you would have done without me". */
const DEFAULT_PLACEHOLDER = /^\{\{\s*default\s*\}\}$/;

export function isDefaultPlaceholder(entry: string): boolean {
  return DEFAULT_PLACEHOLDER.test(entry);
}

/**
 * strix-2's grouping without a client fingerprint, leaving out the app/dev scope, pushed
 * onto `hashed`. With in-app frames: the exception type and those frames. Otherwise the
 * source module, the normalized error text and, when known, the exception type — appended
 * only then, so an error without exception details keeps exactly its strix-1 parts and
 * fingerprint.
 *
 * The shapes cannot collide once scoped: a stack's last part is a list, a message's a
 * string, and a client fingerprint is a single list (see `strix2`).
 */
function strix2Default(facts: EventFacts, hashed: HashedComponent[]): GroupingBasis {
  const frames = facts.inAppFrames;
  if (frames.length > 0) {
    hashed.push({ name: 'exception_type', part: facts.exceptionType }, { name: 'in_app_frames', part: frames });
    return 'stack';
  }
  hashed.push({ name: 'source_module', part: facts.event.source_module ?? '' }, { name: facts.errorTextField, part: facts.errorTextShape });
  if (facts.exceptionType !== '') hashed.push({ name: 'exception_type', part: facts.exceptionType });
  return 'message';
}

/**
 * A client fingerprint replaces the default grouping; each "{{ default }}" entry in it
 * stands for the default's parts (nested, so no client string can imitate them). A
 * fingerprint of "{{ default }}" alone is the default grouping itself, as in Sentry.
 */
function strix2(facts: EventFacts): ConfigGrouping {
  const { app_id, is_dev, fingerprint } = facts.event;
  const hashed: HashedComponent[] = [
    { name: 'app_id', part: app_id },
    { name: 'is_dev', part: is_dev },
  ];
  const onlyDefault = fingerprint?.length === 1 && isDefaultPlaceholder(fingerprint[0] ?? '');
  if (fingerprint !== undefined && fingerprint.length > 0 && !onlyDefault) {
    let fallback: ConfigGrouping | undefined;
    const entries = fingerprint.map((entry): GroupingPart => {
      if (!isDefaultPlaceholder(entry)) return entry;
      if (fallback === undefined) {
        const inner: HashedComponent[] = [];
        fallback = { basis: strix2Default(facts, inner), hashed: inner };
      }
      return partsOf(fallback);
    });
    hashed.push({ name: 'client_fingerprint', part: entries, expands: fallback });
    return { basis: 'fingerprint', hashed };
  }
  return { basis: strix2Default(facts, hashed), hashed };
}

const frameDecided = 'the in-app frames decided: where an error is thrown varies less than its text';

function strix2WhyIgnored(name: ComponentName, grouping: ConfigGrouping, facts: EventFacts): string {
  const { event } = facts;
  if (grouping.basis === 'fingerprint') {
    const expands = grouping.hashed.find((c) => c.expands !== undefined)?.expands;
    return expands ? strix2WhyIgnored(name, expands, facts) : 'the client fingerprint replaces the default grouping';
  }
  switch (name) {
    case 'client_fingerprint':
      return event.fingerprint?.length ? 'only "{{ default }}": the default grouping applies' : 'not sent';
    case 'exception_value':
      return facts.errorTextField !== 'exception_value' ? 'not sent' : frameDecided;
    case 'message':
      return grouping.basis === 'stack' ? frameDecided : "the exception's own value is read instead: a log call's message often wraps it";
    case 'source_module':
      return frameDecided;
    case 'exception_type':
      return 'not sent';
    case 'in_app_frames':
      return event.exception?.stacktrace?.frames.length ? 'no in-app frames: every frame is library, runtime or OS code, or names nothing' : 'no stack trace sent';
    case 'app_id':
    case 'is_dev':
      return 'always part of the fingerprint';
    default:
      return name satisfies never;
  }
}

export const groupingConfigs: Readonly<Record<GroupingConfigId, GroupingConfig>> = {
  'strix-1': {
    id: 'strix-1',
    previous: undefined,
    // The same parts as `strix1Parts`, named; tests pin both to the stored fingerprints.
    group: (facts) => ({
      basis: 'message',
      hashed: [
        { name: 'app_id', part: facts.event.app_id },
        { name: 'is_dev', part: facts.event.is_dev },
        { name: 'source_module', part: facts.event.source_module ?? '' },
        { name: 'message', part: facts.messageShape },
      ],
    }),
    whyIgnored: () => 'strix-1 groups by the app, the dev flag, the source module and the message only',
  },
  'strix-2': { id: 'strix-2', previous: 'strix-1', group: strix2, whyIgnored: strix2WhyIgnored },
};

/** The config new events are grouped by. */
export const currentGroupingConfig: GroupingConfigId = 'strix-2';

/** For readers of the stored `grouping_config` column. */
export function isGroupingConfigId(value: string): value is GroupingConfigId {
  return Object.hasOwn(groupingConfigs, value);
}
