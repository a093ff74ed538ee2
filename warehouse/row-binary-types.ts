/**
 * RowBinary value encoders compiled from ClickHouse type strings, and the
 * writer they share. Times follow Strix's row convention: a number is epoch
 * milliseconds for every date/time type; strings are ISO 8601.
 */
import { RowBinaryWriter } from './row-binary-writer.ts';

export { RowBinaryWriter };

/** A value the type cannot hold. The message never carries the value (row data stays out of errors). */
export class RowBinaryValueError extends Error {}

/** A type this encoder does not write: the caller falls back to a text format for that table. */
export class UnsupportedTypeError extends Error {}

/** Writes one value; `null`/`undefined` write the type's default (NULL for Nullable). */
export type ValueEncoder = (w: RowBinaryWriter, v: unknown) => void;

/** Splits `a, b(c, d), 'e,f'` at its top-level commas. */
function splitArgs(args: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote = false;
  let start = 0;
  for (let i = 0; i < args.length; i++) {
    const c = args[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === "'") quote = false;
    } else if (c === "'") quote = true;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      out.push(args.slice(start, i).trim());
      start = i + 1;
    }
  }
  const last = args.slice(start).trim();
  if (last.length > 0) out.push(last);
  return out;
}

function unquote(literal: string): string {
  const m = /^'((?:[^'\\]|\\.)*)'$/s.exec(literal.trim());
  if (!m) throw new UnsupportedTypeError(`expected a quoted string, got ${literal}`);
  return (m[1] ?? '').replace(/\\(.)/gs, '$1');
}

const intRanges: Record<string, [bytes: 1 | 2 | 4, signed: boolean, min: number, max: number]> = {
  UInt8: [1, false, 0, 0xff], UInt16: [2, false, 0, 0xffff], UInt32: [4, false, 0, 0xffff_ffff],
  Int8: [1, true, -0x80, 0x7f], Int16: [2, true, -0x8000, 0x7fff], Int32: [4, true, -0x8000_0000, 0x7fff_ffff],
};

function toInteger(v: unknown): number | bigint {
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new RowBinaryValueError('expected an integer');
    return Number.isSafeInteger(v) ? v : BigInt(v);
  }
  if (typeof v === 'bigint') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && /^\s*-?\d+\s*$/.test(v)) {
    const n = Number(v);
    return Number.isSafeInteger(n) ? n : BigInt(v.trim());
  }
  throw new RowBinaryValueError('expected an integer');
}

function smallInt(bytes: 1 | 2 | 4, signed: boolean, min: number, max: number, name: string): ValueEncoder {
  return (w, v) => {
    const n = v == null ? 0 : toInteger(v);
    if (n < min || n > max) throw new RowBinaryValueError(`out of range for ${name}`);
    w.fixed(bytes, signed, Number(n));
  };
}

function int64(signed: boolean): ValueEncoder {
  const min = signed ? -(2n ** 63n) : 0n;
  const max = signed ? 2n ** 63n - 1n : 2n ** 64n - 1n;
  return (w, v) => {
    const n = v == null ? 0 : toInteger(v);
    if (n < min || n > max) throw new RowBinaryValueError(`out of range for ${signed ? 'Int64' : 'UInt64'}`);
    w.int64(n, signed);
  };
}

function float(bytes: 4 | 8): ValueEncoder {
  return (w, v) => {
    const n = v == null ? 0 : typeof v === 'string' ? Number(v) : v;
    if (typeof n !== 'number' || (Number.isNaN(n) && !/^\s*[-+]?nan\s*$/i.test(String(v)))) throw new RowBinaryValueError('expected a number');
    w.float(bytes, n);
  };
}

function bool(w: RowBinaryWriter, v: unknown): void {
  if (v == null || v === false || v === 0 || v === 'false') w.u8(0);
  else if (v === true || v === 1 || v === 'true') w.u8(1);
  else throw new RowBinaryValueError('expected a boolean');
}

function string(w: RowBinaryWriter, v: unknown): void {
  if (typeof v === 'string') w.string(v);
  else if (v == null) w.u8(0);
  else if (v instanceof Uint8Array) {
    w.uvarint(v.length);
    w.bytes(v);
  } else if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') w.string(String(v));
  else throw new RowBinaryValueError('expected a string');
}

function fixedString(n: number): ValueEncoder {
  return (w, v) => {
    const bytes = v == null ? Buffer.alloc(0) : v instanceof Uint8Array ? v : typeof v === 'string' ? Buffer.from(v, 'utf8') : undefined;
    if (!bytes) throw new RowBinaryValueError('expected a string');
    if (bytes.length > n) throw new RowBinaryValueError(`longer than FixedString(${n})`);
    w.bytes(bytes);
    w.zeros(n - bytes.length);
  };
}

function enumOf(bytes: 1 | 2, args: string[]): ValueEncoder {
  const byName = new Map<string, number>();
  for (const arg of args) {
    const m = /^('(?:[^'\\]|\\.)*')\s*=\s*(-?\d+)$/s.exec(arg);
    if (!m) throw new UnsupportedTypeError(`cannot read enum element ${arg}`);
    byName.set(unquote(m[1] ?? ''), Number(m[2]));
  }
  const values = new Set(byName.values());
  const first = Math.min(...values); // ClickHouse's default for an Enum is its lowest value.
  return (w, v) => {
    let n: number | undefined;
    if (v == null) n = first;
    else if (typeof v === 'string') n = byName.get(v);
    else if (typeof v === 'number' && values.has(v)) n = v;
    if (n === undefined) {
      // Enum names are schema vocabulary, not free text: naming the value is what makes the error actionable.
      throw new RowBinaryValueError(typeof v === 'string' ? `unknown value '${v}'` : 'expected one of its names');
    }
    w.fixed(bytes, true, n);
  };
}

const isoDateTime = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

const zoneFormats = new Map<string, Intl.DateTimeFormat>();

/** Offset of a time zone from UTC at an instant, in ms (e.g. +3_600_000 for Europe/Paris in winter). */
function zoneOffsetMs(timeZone: string, utcMs: number): number {
  let format = zoneFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    zoneFormats.set(timeZone, format);
  }
  const p = Object.fromEntries(format.formatToParts(utcMs).map((x) => [x.type, Number(x.value)]));
  const wall = Date.UTC(p.year ?? 1970, (p.month ?? 1) - 1, p.day ?? 1, p.hour ?? 0, p.minute ?? 0, p.second ?? 0);
  return wall - (utcMs - (((utcMs % 1000) + 1000) % 1000));
}

/**
 * Epoch time in units of 10^-scale s. Numbers are epoch ms (what Strix rows carry);
 * strings are ISO 8601, read in `timeZone` when they name no offset, as ClickHouse does.
 */
function epochTicks(v: unknown, scale: number, timeZone: string): bigint {
  if (v instanceof Date) v = v.getTime();
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new RowBinaryValueError('expected epoch ms or an ISO 8601 string');
    const ms = Math.floor(v);
    return scale >= 3 ? BigInt(ms) * 10n ** BigInt(scale - 3) : BigInt(Math.floor(ms / 10 ** (3 - scale)));
  }
  const m = typeof v === 'string' ? isoDateTime.exec(v.trim()) : null;
  if (!m) throw new RowBinaryValueError('expected epoch ms or an ISO 8601 string');
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  let ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h ?? 0), Number(mi ?? 0), Number(s ?? 0));
  if (zone && zone.toUpperCase() !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    ms -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || 0)) * 60_000;
  } else if (!zone && timeZone !== 'UTC') {
    ms -= zoneOffsetMs(timeZone, ms - zoneOffsetMs(timeZone, ms));
  }
  const fraction = (frac ?? '').padEnd(scale, '0').slice(0, scale);
  return BigInt(ms / 1000) * 10n ** BigInt(scale) + BigInt(fraction || '0');
}

/** A zone JS cannot resolve makes the type unsupported (text fallback) rather than failing every insert. */
function knownZone(timeZone: string): string {
  try {
    zoneOffsetMs(timeZone, 0);
    return timeZone;
  } catch {
    throw new UnsupportedTypeError(`time zone ${timeZone} is unknown to this runtime`);
  }
}

function dateTime(timeZone: string): ValueEncoder {
  return (w, v) => {
    const seconds = v == null ? 0 : Number(epochTicks(v, 0, timeZone));
    if (seconds < 0 || seconds > 0xffff_ffff) throw new RowBinaryValueError('outside the DateTime range');
    w.fixed(4, false, seconds);
  };
}

function dateTime64(scale: number, timeZone: string): ValueEncoder {
  const perMs = scale >= 3 ? 10 ** (scale - 3) : 0;
  return (w, v) => {
    // Epoch ms at a precision of ms or finer: integer arithmetic, no BigInt (the common case by far).
    if (typeof v === 'number' && perMs > 0 && Number.isSafeInteger(v * perMs)) w.int64(v * perMs, true);
    else w.int64(v == null ? 0 : epochTicks(v, scale, timeZone), true);
  };
}

function date(bytes: 2 | 4): ValueEncoder {
  return (w, v) => {
    // A calendar date has no zone: offset-less strings are that day, whatever the server's zone.
    const days = v == null ? 0 : Math.floor(Number(epochTicks(v, 0, 'UTC')) / 86_400);
    if (bytes === 2 ? days < 0 || days > 0xffff : days < -25_567 || days > 120_529) throw new RowBinaryValueError('outside the Date range');
    w.fixed(bytes, bytes === 4, days);
  };
}

function uuid(w: RowBinaryWriter, v: unknown): void {
  const hex = v == null ? '0'.repeat(32) : typeof v === 'string' ? v.replace(/-/g, '') : '';
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new RowBinaryValueError('expected a UUID string');
  // Two little-endian UInt64 halves, the high half first.
  w.bytes(Buffer.from(hex.slice(0, 16), 'hex').reverse());
  w.bytes(Buffer.from(hex.slice(16), 'hex').reverse());
}

function nullable(inner: ValueEncoder): ValueEncoder {
  return (w, v) => {
    if (v == null) return w.u8(1);
    w.u8(0);
    inner(w, v);
  };
}

function array(inner: ValueEncoder): ValueEncoder {
  return (w, v) => {
    if (v == null) return w.u8(0);
    if (!Array.isArray(v) && !ArrayBuffer.isView(v)) throw new RowBinaryValueError('expected an array');
    const items = v as ArrayLike<unknown>;
    w.uvarint(items.length);
    for (let i = 0; i < items.length; i++) inner(w, items[i]);
  };
}

function map(key: ValueEncoder, value: ValueEncoder): ValueEncoder {
  return (w, v) => {
    if (v == null) return w.u8(0);
    if (typeof v !== 'object') throw new RowBinaryValueError('expected an object or a Map');
    if (v instanceof Map) {
      w.uvarint(v.size);
      for (const [k, x] of v as Map<unknown, unknown>) {
        key(w, k);
        value(w, x);
      }
      return;
    }
    const record = v as Record<string, unknown>;
    const keys = Object.keys(record);
    w.uvarint(keys.length);
    for (const k of keys) {
      key(w, k);
      value(w, record[k]);
    }
  };
}

function tuple(elements: string[], timeZone: string): ValueEncoder {
  const parts = elements.map((e) => {
    const named = /^([A-Za-z_]\w*|`[^`]+`)\s+(\S.*)$/s.exec(e);
    return named ? { name: (named[1] ?? '').replace(/`/g, ''), encode: compileType(named[2] ?? '', timeZone) } : { name: undefined, encode: compileType(e, timeZone) };
  });
  return (w, v) => {
    const positional = v == null ? [] : Array.isArray(v) ? (v as unknown[]) : undefined;
    if (!positional && typeof v !== 'object') throw new RowBinaryValueError('expected an array or an object');
    parts.forEach((p, i) => p.encode(w, positional ? positional[i] : p.name === undefined ? undefined : (v as Record<string, unknown>)[p.name]));
  };
}

/** Compiles a ClickHouse type as `DESCRIBE TABLE` prints it; throws UnsupportedTypeError for types it cannot write. */
export function compileType(type: string, serverTimeZone = 'UTC'): ValueEncoder {
  const m = /^(\w+)(?:\((.*)\))?$/s.exec(type.trim());
  const name = m?.[1] ?? '';
  const args = m?.[2] === undefined ? [] : splitArgs(m[2]);
  const arg = (i: number) => args[i] ?? '';
  switch (name) {
    case 'String': return string;
    case 'FixedString': return fixedString(Number(arg(0)));
    case 'Bool': return bool;
    case 'UInt8': case 'UInt16': case 'UInt32': case 'Int8': case 'Int16': case 'Int32': {
      const [bytes, signed, min, max] = intRanges[name]!;
      return smallInt(bytes, signed, min, max, name);
    }
    case 'UInt64': case 'Int64': return int64(name === 'Int64');
    case 'Float32': return float(4);
    case 'Float64': return float(8);
    case 'Enum8': return enumOf(1, args);
    case 'Enum16': return enumOf(2, args);
    case 'Date': return date(2);
    case 'Date32': return date(4);
    case 'DateTime': return dateTime(knownZone(args.length > 0 ? unquote(arg(0)) : serverTimeZone));
    case 'DateTime64': return dateTime64(Number(arg(0)), knownZone(args.length > 1 ? unquote(arg(1)) : serverTimeZone));
    case 'UUID': return uuid;
    case 'LowCardinality': return compileType(arg(0), serverTimeZone); // same bytes as the inner type in RowBinary
    case 'Nullable': return nullable(compileType(arg(0), serverTimeZone));
    case 'Array': return array(compileType(arg(0), serverTimeZone));
    case 'Map': return map(compileType(arg(0), serverTimeZone), compileType(arg(1), serverTimeZone));
    case 'Tuple': return tuple(args, serverTimeZone);
    default: throw new UnsupportedTypeError(`type ${type} is not supported by the RowBinary encoder`);
  }
}
