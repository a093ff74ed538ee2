import type { StackFrame } from '@strix/contracts';

/**
 * What a stack trace contributes to an issue's identity: which frames are the app's own
 * code, and what about each of them stays the same from one build, machine and deploy
 * to the next. Line and column numbers are never part of it: any edit above a throw
 * moves them, and an issue must survive the next release.
 *
 * Every pattern is compiled once, here; frames are classified per error event, and
 * all of them are bounded (IngestLimits.maxFrameFieldChars) and linear-time.
 */

/** Apple system libraries, seen as a module name (`UIKitCore`) or a framework path. */
const APPLE_LIBRARIES =
  'UIKit|UIKitCore|Foundation|CoreFoundation|GraphicsServices|QuartzCore|SwiftUI|Combine|CoreData|' +
  'libdispatch|libobjc|libobjc\\.A|libswiftCore|libsystem_\\w+|libc\\+\\+abi|dyld|libdyld';

/** Paths of code that is not the app's: dependencies, the runtime, bundler glue, OS libraries. */
const SYSTEM_PATH = new RegExp(
  [
    String.raw`(?:^|[\\/])node_modules[\\/]`,
    // node:internal/…, node:fs; Node before 16 printed internal/process/task_queues.js.
    String.raw`^node:`,
    String.raw`^internal[\\/]`,
    String.raw`^(?:<anonymous>|<native>|native|\[native code\])$`,
    // webpack:///webpack/bootstrap, webpack/runtime/jsonp chunk loading, (webpack)/buildin/global.js
    String.raw`(?:^|[\\/])(?:webpack[\\/](?:bootstrap|runtime)\b|\(webpack\)[\\/])`,
    String.raw`^\/usr\/(?:local\/)?lib\/`,
    String.raw`^\/System\/Library\/`,
    String.raw`^\/(?:system|apex)\/`,
    String.raw`[\\/](?:${APPLE_LIBRARIES})\.framework[\\/]`,
    String.raw`[\\/](?:site|dist)-packages[\\/]`,
    String.raw`^dart:`,
    String.raw`^package:flutter\/`,
  ].join('|'),
);

/** Module names of platform code: the JVM, Android, Kotlin's runtime, Apple's libraries. */
const SYSTEM_MODULE = new RegExp(
  String.raw`^(?:(?:java|javax|jdk|sun|android|androidx|dalvik|libcore|kotlin|kotlinx|com\.android|com\.google\.android)\.` +
    String.raw`|(?:${APPLE_LIBRARIES})(?:\.dylib)?$)`,
);

function isSystemText(value: string | undefined): boolean {
  return value !== undefined && (SYSTEM_PATH.test(value) || SYSTEM_MODULE.test(value));
}

/**
 * The SDK's `in_app` wins when it sent one; otherwise a frame is the app's unless its
 * module or path says it belongs to a dependency, the runtime or the OS. Unknown code
 * counts as the app's, as in Sentry: a missed library frame splits an issue at worst,
 * a missed app frame would merge unrelated ones.
 */
export function isInAppFrame(frame: StackFrame): boolean {
  if (frame.in_app !== undefined) return frame.in_app;
  return !(isSystemText(frame.module) || isSystemText(frame.filename) || isSystemText(frame.abs_path));
}

const URL_ORIGIN = /^[a-z][a-z0-9+.-]*:\/\/[^/]*/i;
const WINDOWS_DRIVE = /^\/?[a-z]:(?=\/)/i;
const BACKSLASHES = /\\/g;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HEX_RUN = /^[0-9a-f]{8,}$/i;
const ALNUM_RUN = /^[a-z0-9_]{8,32}$/i;
const HAS_DIGIT = /\d/;
const HAS_LETTER = /[a-z]/i;

/**
 * Build output names carry a content hash (`main.3f2a1b9c.js`, `index-BfY9c2aQ.js`,
 * `chunk-5HXSD3KU.js`) that changes with every deploy. Hex runs of 8+ are hashes;
 * other letter-and-digit runs of 8 to 32 are too, which `production` or `es2015` are not.
 */
function isContentHash(token: string): boolean {
  if (token.length < 8) return false;
  return HEX_RUN.test(token) || (ALNUM_RUN.test(token) && HAS_DIGIT.test(token) && HAS_LETTER.test(token));
}

/** Directories that are per install or per build: iOS container UUIDs, hashed build folders. */
function isVariableDirectory(segment: string): boolean {
  if (segment.length < 8) return false;
  return segment.length === 36 ? UUID.test(segment) : HEX_RUN.test(segment) && HAS_DIGIT.test(segment);
}

function stripContentHash(basename: string): string {
  const parts = basename.split('.');
  if (parts.length < 2) return basename;
  // The stem's `[name]-[hash]` form; the stem itself is never dropped.
  const stem = parts[0] ?? '';
  const dash = stem.lastIndexOf('-');
  let changed = false;
  if (dash > 0 && isContentHash(stem.slice(dash + 1))) {
    parts[0] = stem.slice(0, dash);
    changed = true;
  }
  // `[name].[hash].js`, `[id].[hash].chunk.js`: hashes between the stem and the extension.
  const kept = [parts[0] ?? ''];
  for (let i = 1; i < parts.length - 1; i++) {
    const part = parts[i] ?? '';
    if (isContentHash(part)) changed = true;
    else kept.push(part);
  }
  if (!changed) return basename;
  kept.push(parts[parts.length - 1] ?? '');
  return kept.join('.');
}

/** Folders where a project's own sources start; what lies above them is where it was checked out. */
const SOURCE_ROOTS = new Set(['src', 'app', 'lib', 'source', 'sources', 'Sources']);

/** Scheme and host, query and fragment, backslashes and a drive letter: what is left is a path. */
function pathOf(raw: string): string {
  let path = raw;
  const query = path.indexOf('?');
  if (query >= 0) path = path.slice(0, query);
  const fragment = path.indexOf('#');
  if (fragment >= 0) path = path.slice(0, fragment);
  if (path.includes('://')) path = path.replace(URL_ORIGIN, '');
  if (path.includes('\\')) path = path.replace(BACKSLASHES, '/');
  if (path.charCodeAt(1) === 58 || path.charCodeAt(2) === 58) path = path.replace(WINDOWS_DRIVE, '');
  return path;
}

/**
 * A file's name as it reads on every machine and deploy: no URL origin, query or
 * fragment, no content hashes or per-install folders, and for an absolute path only
 * the tail from the last source-root folder (or the last two segments when none is
 * there), so `/Users/ana/shop/src/cart.ts` and `/build/src/cart.ts` agree.
 */
export function normalizeFilename(raw: string): string {
  const path = pathOf(raw);
  const segments = path.split('/');
  const basename = segments.pop() ?? '';
  if (basename === '') return '';
  // Folders are walked innermost first, so an absolute path stops at its source root.
  const absolute = path.startsWith('/');
  const folders: string[] = [];
  for (let i = segments.length - 1; i >= 0; i--) {
    const segment = segments[i] ?? '';
    if (segment === '' || segment === '.' || isVariableDirectory(segment)) continue;
    folders.push(segment);
    if (absolute && SOURCE_ROOTS.has(segment)) break;
  }
  // No source root in an absolute path: keep only the innermost folder.
  if (absolute && !SOURCE_ROOTS.has(folders[folders.length - 1] ?? '')) folders.length = Math.min(folders.length, 1);
  folders.reverse().push(stripContentHash(basename));
  return folders.join('/');
}

/**
 * Normalized names of recently seen files. Errors repeat the same few hundred files,
 * and normalizing a name costs many times a lookup. The only state in grouping, and it
 * cannot change a result; cleared when full, so it holds at most
 * FILENAME_CACHE_LIMIT × IngestLimits.maxFrameFieldChars characters of client input.
 */
const normalizedFilenames = new Map<string, string>();
const FILENAME_CACHE_LIMIT = 4096;

function cachedNormalizeFilename(raw: string): string {
  let normalized = normalizedFilenames.get(raw);
  if (normalized === undefined) {
    if (normalizedFilenames.size >= FILENAME_CACHE_LIMIT) normalizedFilenames.clear();
    normalized = normalizeFilename(raw);
    normalizedFilenames.set(raw, normalized);
  }
  return normalized;
}

/** JVM lambda classes carry a per-build counter and address: `Foo$$Lambda$14/0x0000000800c0b000`. */
const JVM_LAMBDA_CLASS = /\$\$Lambda\$.*$/;

function normalizeModule(module: string): string {
  return module.trim().replace(JVM_LAMBDA_CLASS, '$$$$Lambda');
}

/** The one token every unnamed function becomes, whatever the runtime called it. */
export const ANONYMOUS_FUNCTION = '<anonymous>';
const ANONYMOUS_NAMES = new Set(['', '?', '<anonymous>', 'anonymous', '<anon>', '<lambda>', 'Object.<anonymous>', '<unknown>']);
const ASYNC_PREFIX = /^async\*? +/;
/** `lambda$onClick$0`, `onCreate$lambda-1`: the counter moves when a lambda is added above. */
const LAMBDA_COUNTER = /[$-]\d+$/;

/** Light on purpose: a function's name is the most stable thing a frame has. */
export function normalizeFunctionName(raw: string | undefined): string {
  const name = (raw ?? '').trim().replace(ASYNC_PREFIX, '');
  if (ANONYMOUS_NAMES.has(name)) return ANONYMOUS_FUNCTION;
  return name.includes('lambda') ? name.replace(LAMBDA_COUNTER, '') : name;
}

/** A frame's identity for grouping: its function and where that function lives. */
export type FrameIdentity = readonly [fn: string, location: string];

/** Undefined when the frame names neither a function nor a place: it says nothing stable. */
export function frameIdentity(frame: StackFrame): FrameIdentity | undefined {
  const fn = normalizeFunctionName(frame.function);
  const module = frame.module?.trim();
  const file = frame.filename ?? frame.abs_path;
  const location = module ? normalizeModule(module) : file ? cachedNormalizeFilename(file) : '';
  if (fn === ANONYMOUS_FUNCTION && location === '') return undefined;
  return [fn, location];
}

/**
 * What grouping did with one frame: kept it, or left it out as library/runtime/OS code
 * (`system`), as naming nothing stable (`unnamed`), or as a repeat of the kept frame
 * before it (`repeat`).
 */
export type FrameVerdict = 'in_app' | 'system' | 'unnamed' | 'repeat';
export type OnFrame = (frame: StackFrame, verdict: FrameVerdict, identity: FrameIdentity | undefined) => void;

/**
 * The identities of the app's own frames, oldest call first. Consecutive equal frames
 * collapse to one, also across library frames between them (A → forEach → A): how
 * deep a recursion went is data, not a different bug. `onFrame` hears the verdict on
 * every frame, for a grouping explanation; grouping itself passes none.
 */
export function inAppFrameIdentities(frames: readonly StackFrame[] | undefined, onFrame?: OnFrame): FrameIdentity[] {
  const out: FrameIdentity[] = [];
  let last: FrameIdentity | undefined;
  for (const frame of frames ?? []) {
    if (!isInAppFrame(frame)) {
      onFrame?.(frame, 'system', undefined);
      continue;
    }
    const identity = frameIdentity(frame);
    if (!identity) {
      onFrame?.(frame, 'unnamed', undefined);
      continue;
    }
    if (last && last[0] === identity[0] && last[1] === identity[1]) {
      onFrame?.(frame, 'repeat', identity);
      continue;
    }
    onFrame?.(frame, 'in_app', identity);
    out.push(identity);
    last = identity;
  }
  return out;
}

/**
 * Where the error happened, for an issue's title: the innermost app frame as
 * `function (file)`, or '' when the stack has none. Frames are innermost last.
 */
export function describeCulprit(frames: readonly StackFrame[] | undefined): string {
  if (!frames) return '';
  for (let i = frames.length - 1; i >= 0; i--) {
    const frame = frames[i];
    if (!frame || !isInAppFrame(frame)) continue;
    const identity = frameIdentity(frame);
    if (identity) return describeFrame(identity);
  }
  return '';
}

/** A frame identity in words, `function (file)`: for culprits and grouping explanations. */
export function describeFrame([fn, location]: FrameIdentity): string {
  if (location === '') return fn;
  return fn === ANONYMOUS_FUNCTION ? location : `${fn} (${location})`;
}
