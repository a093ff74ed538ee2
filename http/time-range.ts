/**
 * The one parser for times a client sends to the read API (`from`, `to`,
 * `snoozed_until`, …): ISO 8601 or epoch milliseconds, inside a fixed range.
 *
 * Strict on purpose: `Date.parse` reads "hello 2024" as 2024-01-01 and "-1" as
 * 2001, and a time past JavaScript's or ClickHouse's range turned into a 500
 * (`toISOString` throws on it). The range fits `Date` and ClickHouse
 * DateTime64(3) (1900..2299), so a parsed time is safe everywhere downstream.
 */
import { z } from 'zod';

export const TimeRange = {
  /** 1970-01-01T00:00:00.000Z: events carry epoch times, nothing is older. */
  minMs: 0,
  /** 2100-01-01T00:00:00.000Z, inclusive. */
  maxMs: Date.UTC(2100, 0, 1),
} as const;

export const timeFormatMessage =
  `must be an ISO-8601 time (2024-05-01, 2024-05-01T12:00:00Z, 2024-05-01T14:00:00.5+02:00) or epoch milliseconds, ` +
  `between ${new Date(TimeRange.minMs).toISOString()} and ${new Date(TimeRange.maxMs).toISOString()}`;

// A date, optionally a time (minutes at least, fractions up to nanoseconds), and
// a zone; a time without a zone is UTC, never the server's local time.
const isoPattern = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:([Zz])|([+-])(\d{2}):?(\d{2}))?)?$/;

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function parseIso(text: string): number | undefined {
  const m = isoPattern.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', fraction = '', , sign, oh = '0', om = '0'] = m;
  const year = Number(y), month = Number(mo), day = Number(d), hour = Number(h), minute = Number(mi), second = Number(s);
  // Date.UTC maps years 0..99 to 1900..1999: refuse years outside the range before it sees them.
  if (year < 1970 || year > 2100) return undefined;
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59 || Number(oh) > 23 || Number(om) > 59) return undefined;
  const offsetMinutes = sign ? (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om)) : 0;
  const ms = Number(fraction.padEnd(3, '0').slice(0, 3));
  return Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMinutes * 60_000;
}

/** Epoch milliseconds, or undefined when `value` is not a time inside `TimeRange`. */
export function parseTime(value: string | number): number | undefined {
  const ms = typeof value === 'number' ? value : /^\d{1,16}$/.test(value) ? Number(value) : parseIso(value);
  if (ms === undefined || !Number.isSafeInteger(ms) || ms < TimeRange.minMs || ms > TimeRange.maxMs) return undefined;
  return ms;
}

const toMs = (value: string | number, ctx: z.RefinementCtx): number => {
  const ms = parseTime(value);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: timeFormatMessage });
    return z.NEVER;
  }
  return ms;
};

/** A time in a query string (always text), as epoch ms. */
export const queryTime = z.string({ error: timeFormatMessage }).transform(toMs);

/** A time in a JSON body: text, or epoch milliseconds as a number; as epoch ms. */
export const bodyTime = z
  .union([z.string(), z.number()], { error: (issue) => (issue.input === undefined ? 'is required' : timeFormatMessage) })
  .transform(toMs);
