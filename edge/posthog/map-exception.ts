/** The error an `$exception` reports, in the shape of a Strix error event's `exception` (Sentry's), which Strix groups by its in-app frames. */
import { IngestLimits, type StackFrame } from '@strix/contracts';

const L = IngestLimits;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const textOf = (value: unknown) => (typeof value === 'string' && value.trim() !== '' ? value : undefined);
const clip = (value: string, max: number) => (value.length > max ? value.slice(0, max) : value);

const frameText = (value: unknown) => (typeof value === 'string' && value !== '' ? clip(value, L.maxFrameFieldChars) : undefined);
const frameNumber = (value: unknown) => (typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined);

/** A PostHog stack frame (Sentry's shape plus source context, which Strix does not keep). */
function frameOf(raw: unknown): StackFrame | undefined {
  if (!isObject(raw)) return undefined;
  const frame: StackFrame = {};
  for (const key of ['function', 'module', 'filename', 'abs_path'] as const) {
    const value = frameText(raw[key]);
    if (value !== undefined) frame[key] = value;
  }
  for (const key of ['lineno', 'colno'] as const) {
    const value = frameNumber(raw[key]);
    if (value !== undefined) frame[key] = value;
  }
  if (typeof raw.in_app === 'boolean') frame.in_app = raw.in_app;
  return Object.keys(frame).length > 0 ? frame : undefined;
}

/** Frames oldest call first, as PostHog and Strix both order them; past the limit the innermost are kept. */
function framesOf(raw: unknown): StackFrame[] | undefined {
  let list = raw;
  if (typeof list === 'string') {
    try {
      list = JSON.parse(list) as unknown;
    } catch {
      return undefined;
    }
  }
  if (!Array.isArray(list)) return undefined;
  const frames = list.map(frameOf).filter((f): f is StackFrame => f !== undefined);
  return frames.length > 0 ? frames.slice(-L.maxStackFrames) : undefined;
}

/**
 * The error of an `$exception`: the first entry of `$exception_list` (the error thrown; the
 * others are its causes), or the older flat `$exception_type` / `$exception_message` /
 * `$exception_stack_trace_raw`.
 */
export function exceptionOf(properties: Record<string, unknown>) {
  const list = Array.isArray(properties.$exception_list) ? properties.$exception_list : [];
  const first = isObject(list[0]) ? list[0] : {};
  const stacktrace = isObject(first.stacktrace) ? first.stacktrace : {};
  const type = textOf(first.type) ?? textOf(properties.$exception_type);
  const value = textOf(first.value) ?? textOf(properties.$exception_message);
  const frames = framesOf(stacktrace.frames) ?? framesOf(properties.$exception_stack_trace_raw);
  const mechanism = isObject(first.mechanism) ? first.mechanism : {};
  return {
    ...(type !== undefined && { type: clip(type, L.maxExceptionTypeChars) }),
    ...(value !== undefined && { value: clip(value, L.maxMessageChars) }),
    ...(frames && { stacktrace: { frames } }),
    handled: typeof mechanism.handled === 'boolean' ? mechanism.handled : undefined,
  };
}

/** `$exception_fingerprint`: the app's own grouping key, one string or a list. */
export function fingerprintOf(raw: unknown): string[] | undefined {
  if (typeof raw === 'string' && raw !== '') return [raw];
  if (Array.isArray(raw) && raw.length > 0) return raw.map((part) => (typeof part === 'string' ? part : JSON.stringify(part)));
  return undefined;
}
