import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bodyTime, parseTime, queryTime, TimeRange } from './time-range.ts';

describe('parseTime', () => {
  it('reads ISO 8601 dates and times, zones included, and epoch milliseconds', () => {
    assert.equal(parseTime('2024-05-01'), Date.UTC(2024, 4, 1));
    assert.equal(parseTime('2024-05-01T12:30:00Z'), Date.UTC(2024, 4, 1, 12, 30));
    assert.equal(parseTime('2024-05-01T12:30Z'), Date.UTC(2024, 4, 1, 12, 30));
    assert.equal(parseTime('2024-05-01T14:30:00.5+02:00'), Date.UTC(2024, 4, 1, 12, 30, 0, 500));
    assert.equal(parseTime('2024-05-01T12:30:00.123456789-0130'), Date.UTC(2024, 4, 1, 14, 0, 0, 123));
    assert.equal(parseTime('2024-05-01 12:30:00'), Date.UTC(2024, 4, 1, 12, 30), 'no zone is UTC, not local time');
    assert.equal(parseTime('1714566600000'), 1714566600000);
    assert.equal(parseTime(1714566600000), 1714566600000);
    assert.equal(parseTime('2024'), 2024, 'digits are epoch milliseconds, not a year');
    assert.equal(parseTime('2024-02-29'), Date.UTC(2024, 1, 29));
  });

  it('accepts the whole documented range and nothing past it', () => {
    assert.equal(parseTime('0'), TimeRange.minMs);
    assert.equal(parseTime('1970-01-01T00:00:00Z'), 0);
    assert.equal(parseTime('2100-01-01T00:00:00Z'), TimeRange.maxMs);
    assert.equal(parseTime(TimeRange.maxMs + 1), undefined);
    assert.equal(parseTime('2100-01-01T00:00:00.001Z'), undefined);
    assert.equal(parseTime('1969-12-31T23:59:59.999Z'), undefined);
    assert.equal(parseTime('9000000000000000'), undefined);
    assert.equal(parseTime(-1), undefined);
    assert.equal(parseTime(1e300), undefined);
    assert.equal(parseTime(Number.NaN), undefined);
    assert.equal(parseTime('0099-01-01'), undefined, 'Date.UTC would map year 99 to 1999');
  });

  it('refuses what Date.parse would guess at', () => {
    for (const text of ['hello 2024', '-1', 'Jan 1 2024', '2024-02-30', '2023-02-29', '2024-13-01', '2024-05-01T24:00Z', '2024-05-01T12:60Z',
      '2024-05-01T12:00:00+25:00', '1.5e12', '1714566600000.5', '', ' 2024-05-01', '2024-05-01T12:00:00Zjunk', '\ud800']) {
      assert.equal(parseTime(text), undefined, JSON.stringify(text));
    }
    assert.equal(parseTime(1.5), undefined);
  });
});

describe('time schemas', () => {
  it('name the format and the range in their error', () => {
    const query = queryTime.safeParse('9000000000000000');
    assert.ok(!query.success);
    assert.match(query.error.issues[0]?.message ?? '', /ISO-8601 .* or epoch milliseconds, between 1970-01-01T00:00:00\.000Z and 2100-01-01T00:00:00\.000Z$/);
    const body = bodyTime.safeParse(true);
    assert.ok(!body.success);
    assert.match(body.error.issues[0]?.message ?? '', /between 1970/);
    assert.equal(bodyTime.safeParse(undefined).error?.issues[0]?.message, 'is required');
  });

  it('take epoch milliseconds as a number in bodies only', () => {
    assert.equal(bodyTime.parse(1714566600000), 1714566600000);
    assert.equal(queryTime.safeParse(1714566600000).success, false);
  });
});
