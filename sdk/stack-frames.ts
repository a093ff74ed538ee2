import { Limits, anyText, text, type ExceptionInfo, type StackFrame } from './wire.ts';

/**
 * Stack traces as frames in the order Strix's grouping reads them (oldest call first, innermost
 * last), each marked `in_app` so grouping keeps the app's own code and leaves out dependencies,
 * the runtime and the browser. Parses V8 (Chrome, Edge, Node) and Gecko/JavaScriptCore (Firefox,
 * Safari) stacks; lines it does not recognise are skipped, never guessed.
 */

/** Code that is not the app's: dependencies, the runtime, bundler glue, browser extensions. */
const NOT_APP_CODE = new RegExp(
  [
    String.raw`(?:^|[\\/])node_modules[\\/]`,
    String.raw`^node:`,
    String.raw`^internal[\\/]`,
    String.raw`^(?:<anonymous>|<native>|native|\[native code\])$`,
    String.raw`^index \d+$`,
    String.raw`^(?:chrome|moz|safari|safari-web|ms-browser)-extension:`,
    String.raw`(?:^|[\\/])(?:webpack[\\/](?:bootstrap|runtime)\b|\(webpack\)[\\/])`,
  ].join('|'),
);

/** Whether a frame at this location is the app's own code. */
export function isAppLocation(filename: string | undefined): boolean {
  return filename !== undefined && filename !== '' && !NOT_APP_CODE.test(filename);
}

/** A location without what varies per request or leaks: `file://`, query strings and fragments. */
function cleanLocation(raw: string): string {
  let location = raw.startsWith('file://') ? raw.slice('file://'.length) : raw;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) location = location.replace(/[?#].*$/s, '');
  return location;
}

function frame(fn: string | undefined, location: string, line?: string, column?: string): StackFrame {
  const filename = text(cleanLocation(location), Limits.maxFrameFieldChars);
  const name = fn?.trim().replace(/^async\s+/, '');
  const out: StackFrame = {};
  if (name) out.function = text(name, Limits.maxFrameFieldChars);
  if (filename) out.filename = filename;
  if (line !== undefined) out.lineno = Number(line);
  if (column !== undefined) out.colno = Number(column);
  out.in_app = isAppLocation(filename);
  return out;
}

const LINE_COL = /^(.*?):(\d+)(?::(\d+))?$/;
/** `eval at fn (file:1:2), <anonymous>:1:1`: the frame is where the eval was called. */
const EVAL_ORIGIN = /\(([^()]+?):(\d+):(\d+)\)/;

/** A V8 frame line without its leading `at `: `fn (location)` or `location`. */
function v8Frame(rest: string): StackFrame | undefined {
  let fn: string | undefined;
  let location = rest;
  if (rest.endsWith(')')) {
    // The parenthesis matching the last one: function names hold parentheses of their own less often than locations do.
    let depth = 0;
    let open = -1;
    for (let i = rest.length - 1; i >= 0; i--) {
      if (rest[i] === ')') depth++;
      else if (rest[i] === '(' && --depth === 0) {
        open = i;
        break;
      }
    }
    if (open > 0) {
      fn = rest.slice(0, open).trim();
      location = rest.slice(open + 1, -1);
    }
  }
  if (location.startsWith('eval at ')) {
    const origin = EVAL_ORIGIN.exec(location);
    return origin ? frame(fn, origin[1]!, origin[2], origin[3]) : frame(fn, '<anonymous>');
  }
  const parts = LINE_COL.exec(location);
  return parts ? frame(fn, parts[1]!, parts[2], parts[3]) : frame(fn, location);
}

/** A Gecko or JavaScriptCore line: `fn@location:line:col`, `@location`, `fn@[native code]`. */
function geckoFrame(line: string): StackFrame | undefined {
  const at = line.indexOf('@');
  if (at < 0) return undefined;
  const fn = line.slice(0, at);
  // Firefox names eval'd code `file line 2 > eval`; the frame is the file that ran it.
  const location = line.slice(at + 1).replace(/ line (\d+) > (?:eval|Function).*$/, ':$1');
  const parts = LINE_COL.exec(location);
  return parts ? frame(fn, parts[1]!, parts[2], parts[3]) : frame(fn, location);
}

/** The frames of a stack string, oldest call first; at most the innermost 100. */
export function parseStack(stack: string | undefined): StackFrame[] {
  if (typeof stack !== 'string' || stack === '') return [];
  const lines = stack.split('\n');
  const v8 = lines.some((l) => /^\s*at /.test(l));
  const frames: StackFrame[] = [];
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '') continue;
    const parsed = v8 ? (line.startsWith('at ') ? v8Frame(line.slice(3)) : undefined) : geckoFrame(line);
    if (parsed) frames.push(parsed);
  }
  // Runtimes print the innermost call first.
  frames.reverse();
  return frames.length > Limits.maxStackFrames ? frames.slice(-Limits.maxStackFrames) : frames;
}

/** An Error (or anything thrown) as the exception an error event carries, and its message. */
export function describeThrown(thrown: unknown): { message: string; exception: ExceptionInfo } {
  if (thrown instanceof Error || (typeof thrown === 'object' && thrown !== null && 'stack' in thrown && 'message' in thrown)) {
    const error = thrown as Error;
    const type = text(typeof error.name === 'string' && error.name ? error.name : 'Error', Limits.maxExceptionTypeChars);
    const value = anyText(error.message ?? '', Limits.maxMessageChars);
    const frames = parseStack(typeof error.stack === 'string' ? error.stack : undefined);
    const exception: ExceptionInfo = { type, value, ...(frames.length > 0 && { stacktrace: { frames } }) };
    return { message: text(value ? `${type}: ${value}` : type, Limits.maxMessageChars), exception };
  }
  // A thrown string or object has no stack of its own: its text is the message.
  const value = anyText(thrown, Limits.maxMessageChars) || 'unknown error';
  return { message: value, exception: { type: 'Error', value } };
}
