import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { IncomingEvent, canonicalLevel } from './event.ts';
import { IngestLimits as L } from './limits.ts';

/** The first problem zod reports, as `path: message` (the ingest edge reports the same two). */
function firstIssue(fields: Record<string, unknown>): string {
  const parsed = IncomingEvent.safeParse({ message: 'boom', level: 'error', ...fields });
  assert.equal(parsed.success, false, 'expected a rejection');
  const issue = parsed.error?.issues[0];
  return `${issue?.path.map(String).join('.')}: ${issue?.message}`;
}

const frames = (n: number) => Array.from({ length: n }, (_, i) => ({ function: `f${i}`, filename: 'src/a.ts', lineno: i }));

describe('fingerprint', () => {
  test('accepts Sentry-style keys', () => {
    const parsed = IncomingEvent.parse({ message: 'boom', fingerprint: ['{{ default }}', 'tenant-a'] });
    assert.deepEqual(parsed.fingerprint, ['{{ default }}', 'tenant-a']);
  });

  const rejected: [string, unknown, string][] = [
    ['no entries', [], 'fingerprint: must contain at least one entry'],
    ['too many entries', Array.from({ length: L.maxFingerprintParts + 1 }, (_, i) => `k${i}`), `fingerprint: must contain at most ${L.maxFingerprintParts} entries`],
    ['an empty entry', ['a', ''], 'fingerprint.1: must not be empty'],
    ['a long entry', ['x'.repeat(L.maxFingerprintPartChars + 1)], `fingerprint.0: must be at most ${L.maxFingerprintPartChars} characters`],
  ];
  for (const [name, value, expected] of rejected) {
    test(`rejects ${name}`, () => assert.equal(firstIssue({ fingerprint: value }), expected));
  }
});

describe('exception', () => {
  test('accepts a Sentry exception and drops frame fields it does not use', () => {
    const parsed = IncomingEvent.parse({
      message: 'boom',
      exception: {
        type: 'TypeError',
        value: "Cannot read properties of undefined (reading 'id')",
        stacktrace: { frames: [{ function: 'load', filename: 'src/a.ts', lineno: 3, colno: 9, in_app: true, context_line: 'x' }] },
      },
    });
    assert.deepEqual(parsed.exception?.stacktrace?.frames, [{ function: 'load', filename: 'src/a.ts', lineno: 3, colno: 9, in_app: true }]);
    assert.equal(IncomingEvent.parse({ message: 'boom', exception: {} }).exception?.type, undefined);
  });

  test(`accepts ${L.maxStackFrames} frames`, () => {
    assert.equal(IncomingEvent.parse({ message: 'm', exception: { stacktrace: { frames: frames(L.maxStackFrames) } } }).exception?.stacktrace?.frames.length, L.maxStackFrames);
  });

  const rejected: [string, unknown, string][] = [
    ['a long type', { type: 'E'.repeat(L.maxExceptionTypeChars + 1) }, `exception.type: must be at most ${L.maxExceptionTypeChars} characters`],
    ['a long value', { value: 'v'.repeat(L.maxMessageChars + 1) }, `exception.value: must be at most ${L.maxMessageChars} characters`],
    ['too many frames', { stacktrace: { frames: frames(L.maxStackFrames + 1) } }, `exception.stacktrace.frames: must contain at most ${L.maxStackFrames} frames`],
    ['a stacktrace without frames', { stacktrace: {} }, 'exception.stacktrace.frames: must be a list of frames'],
    ['a long function name', { stacktrace: { frames: [{ function: 'f'.repeat(L.maxFrameFieldChars + 1) }] } }, `exception.stacktrace.frames.0.function: must be at most ${L.maxFrameFieldChars} characters`],
    ['a long abs_path', { stacktrace: { frames: [{}, { abs_path: '/'.repeat(L.maxFrameFieldChars + 1) }] } }, `exception.stacktrace.frames.1.abs_path: must be at most ${L.maxFrameFieldChars} characters`],
    ['a negative line', { stacktrace: { frames: [{ lineno: -1 }] } }, 'exception.stacktrace.frames.0.lineno: must be a non-negative integer'],
    ['a fractional column', { stacktrace: { frames: [{ colno: 1.5 }] } }, 'exception.stacktrace.frames.0.colno: must be a non-negative integer'],
  ];
  for (const [name, value, expected] of rejected) {
    test(`rejects ${name}`, () => assert.equal(firstIssue({ exception: value }), expected));
  }
});

describe('canonicalLevel', () => {
  test('maps the spellings SDKs send, and nothing an object inherits', () => {
    assert.equal(canonicalLevel(' Warning '), 'warn');
    assert.equal(canonicalLevel('fatal'), 'error');
    for (const inherited of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) assert.equal(canonicalLevel(inherited), undefined, inherited);
    assert.equal(IncomingEvent.safeParse({ message: 'm', level: 'constructor' }).success, false);
  });
});
