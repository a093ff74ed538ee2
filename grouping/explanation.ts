import { z } from 'zod';
import type { StackFrame } from '@strix/contracts';
import { hashGroupingParts } from './fingerprint.ts';
import { becomesIssue } from './grouping.ts';
import {
  currentGroupingConfig,
  EventFacts,
  groupingConfigs,
  partsOf,
  type ComponentName,
  type ConfigGrouping,
  type GroupingConfigId,
  type GroupingInput,
  type HashedComponent,
} from './grouping-configs.ts';
import { normalizeMessage } from './normalize-message.ts';
import { describeFrame, inAppFrameIdentities } from './stack-frames.ts';

/**
 * Why an event got its fingerprint, in the shape the issue detail serves as
 * `grouping_explanation` (after Sentry's grouping info): the rule that decided,
 * and each component with whether it contributed and why not.
 */
export const GroupingComponent = z.object({
  /** `client_fingerprint`, `exception_type`, `in_app_frames`, `system_frames`, `source_module`, `exception_value`, `message`, `app_id`, `is_dev`. */
  name: z.string(),
  /** Whether this component's values went into the fingerprint. */
  contributes: z.boolean(),
  /** The values hashed (normalized frames as `function (location)`, the tokenized message, ...). */
  values: z.array(z.string()),
  /** Why it contributes or not, in words ("system frame ignored", "line numbers dropped", ...). */
  hint: z.string(),
});
export type GroupingComponent = z.infer<typeof GroupingComponent>;

export const GroupingExplanation = z.object({
  /** The grouping config that produced `fingerprint` (`strix-2`); '' for an event that is not grouped. */
  config: z.string(),
  /**
   * Which rule decided: the client's fingerprint, the in-app stack, or the normalized message;
   * `none` for an event that is not an error, `unknown` when a stored event's fingerprint
   * cannot be recomputed from what was stored of it.
   */
  basis: z.enum(['fingerprint', 'stack', 'message', 'none', 'unknown']),
  fingerprint: z.string(),
  /** One sentence in words: "Grouped by 3 in-app frames and the exception type TypeError". */
  summary: z.string(),
  components: z.array(GroupingComponent),
});
export type GroupingExplanation = z.infer<typeof GroupingExplanation>;

/** The order components are listed in when a config did not hash them. */
const componentNames: readonly ComponentName[] = [
  'client_fingerprint',
  'exception_type',
  'in_app_frames',
  'source_module',
  'exception_value',
  'message',
  'app_id',
  'is_dev',
];

/**
 * Explains how `groupEvent(event, config)` groups an event: the config's own decision
 * (`group`, the function `groupEvent` hashes) in words. The words cost what grouping
 * saves (frames walked again, messages normalized again with their tokens reported),
 * which is why grouping itself never builds them.
 */
export function explainGrouping(event: GroupingInput, configId: GroupingConfigId = currentGroupingConfig): GroupingExplanation {
  if (!becomesIssue(event.level)) {
    return { config: '', basis: 'none', fingerprint: '', summary: `Not grouped: only errors become issues, and this event's level is ${event.level}.`, components: [] };
  }
  const facts = new EventFacts(event);
  const config = groupingConfigs[configId];
  const grouping = config.group(facts);
  const components: GroupingComponent[] = [];
  const listed = new Set<ComponentName>();
  const list = (component: HashedComponent, within: string) => {
    listed.add(component.name);
    components.push(...describe(component.name, facts, { contributes: true, hint: within + hashedHint(component, grouping.basis) }));
    if (component.expands) for (const inner of component.expands.hashed) list(inner, 'in "{{ default }}": ');
  };
  for (const component of grouping.hashed) list(component, '');
  for (const name of componentNames) {
    if (!listed.has(name)) components.push(...describe(name, facts, { contributes: false, hint: config.whyIgnored(name, grouping, facts) }));
  }
  return {
    config: configId,
    basis: grouping.basis,
    fingerprint: hashGroupingParts(partsOf(grouping)),
    summary: `${summarize(grouping, facts)}, in app ${event.app_id} (${event.is_dev ? 'development' : 'production'}), under ${configId}.`,
    components,
  };
}

function hashedHint(component: HashedComponent, basis: ConfigGrouping['basis']): string {
  switch (component.name) {
    case 'app_id':
      return 'issues never span apps';
    case 'is_dev':
      return 'development and production errors never share an issue';
    case 'client_fingerprint':
      return component.expands
        ? 'sent by the client; it replaces the default grouping, and "{{ default }}" stands for the default components below'
        : 'sent by the client; it replaces the default grouping';
    case 'exception_type':
      return component.part === '' ? 'not sent; the empty type is hashed with the frames' : basis === 'stack' ? "the error's type, with its in-app frames" : "the error's type";
    case 'in_app_frames':
      return "the app's own frames, oldest call first";
    case 'source_module':
      return component.part === '' ? 'not sent; hashed as empty' : 'where the app says the error came from';
    case 'exception_value':
      return "the exception's own text, read before the log message";
    case 'message':
      return "the event's message";
    default:
      return component.name satisfies never;
  }
}

/** One component, or two for frames (the app's, then the ones left out), with the details grouping dropped. */
function describe(name: ComponentName, facts: EventFacts, decision: { contributes: boolean; hint: string }): GroupingComponent[] {
  const { event } = facts;
  const one = (values: string[], detail = ''): GroupingComponent[] => [{ name, contributes: decision.contributes, values, hint: joinHints(decision.hint, detail) }];
  switch (name) {
    case 'app_id':
      return one([event.app_id]);
    case 'is_dev':
      return one([String(event.is_dev)]);
    case 'client_fingerprint':
      return one([...(event.fingerprint ?? [])]);
    case 'exception_type':
      return one(facts.exceptionType === '' ? [] : [facts.exceptionType]);
    case 'source_module':
      return one(event.source_module ? [event.source_module] : []);
    case 'message':
      return textComponent(one, event.message);
    case 'exception_value':
      return textComponent(one, event.exception?.value);
    case 'in_app_frames':
      return frameComponents(one, event.exception?.stacktrace?.frames);
    default:
      return name satisfies never;
  }
}

type One = (values: string[], detail?: string) => GroupingComponent[];

/** The text as hashed (normalized), and which kinds of variable parts became tokens. */
function textComponent(one: One, text: string | undefined): GroupingComponent[] {
  if (text === undefined || text.trim() === '') return one([]);
  const kinds = new Map<string, number>();
  const shape = normalizeMessage(text, (_rule, _text, token) => {
    const kind = tokenKind(token);
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  });
  const replaced = [...kinds].map(([kind, count]) => (count > 1 ? `${kind} ×${count}` : kind)).join(', ');
  return one([shape], `${replaced === '' ? 'no variable parts found' : `variable parts replaced by tokens: ${replaced}`}; lower-cased, whitespace collapsed`);
}

const tokenKinds: Readonly<Record<string, string>> = { s: 'quoted string', n: 'number' };

/** `<uuid>` → uuid, `'<s>'` → quoted string, `<ip>:` → ip. */
function tokenKind(token: string): string {
  const kind = /<(\w+)>/.exec(token)?.[1] ?? token;
  return tokenKinds[kind] ?? kind;
}

/** The frames grouping kept, as hashed, and beside them the ones it left out and what it dropped from each. */
function frameComponents(one: One, frames: readonly StackFrame[] | undefined): GroupingComponent[] {
  if (!frames || frames.length === 0) return one([]);
  const system: string[] = [];
  const normalized: string[] = [];
  let unnamed = 0;
  let repeats = 0;
  let positions = false;
  const kept = inAppFrameIdentities(frames, (frame, verdict, identity) => {
    if (verdict === 'system') system.push(describeRawFrame(frame));
    if (verdict === 'unnamed') unnamed += 1;
    if (verdict === 'repeat') repeats += 1;
    if (verdict !== 'in_app' && verdict !== 'repeat') return;
    positions ||= frame.lineno !== undefined || frame.colno !== undefined;
    const raw = rawLocation(frame);
    if (identity && raw !== identity[1] && normalized.length < 2) normalized.push(`${raw} → ${identity[1]}`);
  });
  const details = [
    `${kept.length} of ${frames.length} frames kept`,
    positions && 'line and column numbers dropped',
    normalized.length > 0 && `build paths, hosts and bundle hashes dropped (${normalized.join('; ')})`,
    repeats > 0 && `${repeats} repeated (recursive) frame${repeats > 1 ? 's' : ''} collapsed`,
    unnamed > 0 && `${unnamed} frame${unnamed > 1 ? 's' : ''} naming neither a function nor a file skipped`,
  ];
  const out = one(kept.map(describeFrame), details.filter((d) => typeof d === 'string').join('; '));
  if (system.length > 0) {
    out.push({
      name: 'system_frames',
      contributes: false,
      values: system,
      hint: 'system frames ignored: dependencies, the runtime and the OS, by the SDK\'s in_app flag or else by path or module',
    });
  }
  return out;
}

function rawLocation(frame: StackFrame): string {
  return frame.module?.trim() || (frame.filename ?? frame.abs_path) || '';
}

function describeRawFrame(frame: StackFrame): string {
  const fn = frame.function?.trim() || '<anonymous>';
  const location = rawLocation(frame);
  return location === '' ? fn : `${fn} (${location})`;
}

function joinHints(...hints: string[]): string {
  return hints.filter((h) => h !== '').join('; ');
}

function summarize(grouping: ConfigGrouping, facts: EventFacts): string {
  const { event } = facts;
  switch (grouping.basis) {
    case 'fingerprint': {
      const expands = grouping.hashed.find((c) => c.expands !== undefined)?.expands;
      const entries = JSON.stringify(event.fingerprint ?? []);
      return expands ? `Grouped by the client fingerprint ${entries}, its "{{ default }}" standing for: ${summarize(expands, facts).replace(/^Grouped by /, '')}` : `Grouped by the client fingerprint ${entries}`;
    }
    case 'stack': {
      const count = facts.inAppFrames.length;
      return `Grouped by ${count} in-app frame${count === 1 ? '' : 's'} and the exception type ${facts.exceptionType || '(none)'}`;
    }
    case 'message': {
      const text = grouping.hashed.find((c) => c.name === 'message' || c.name === 'exception_value');
      const shape = String(text?.part ?? '');
      const clipped = shape.length > 120 ? `${shape.slice(0, 119)}…` : shape;
      const what = text?.name === 'exception_value' ? 'exception value' : 'message';
      const type = grouping.hashed.some((c) => c.name === 'exception_type') ? `, the exception type ${facts.exceptionType}` : '';
      return `Grouped by the normalized ${what} "${clipped}"${type} and the source module ${event.source_module || '(none)'}`;
    }
    default:
      return grouping.basis satisfies never;
  }
}
