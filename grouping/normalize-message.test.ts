import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { groupingCases } from './grouping-cases.ts';
import { normalizeMessage } from './normalize-message.ts';

describe('grouping table', () => {
  test('has at least 40 pairs of both kinds', () => {
    assert.ok(groupingCases.length >= 40);
    assert.ok(groupingCases.some((c) => c.group));
    assert.ok(groupingCases.some((c) => !c.group));
  });

  for (const { a, b, group } of groupingCases) {
    test(`${group ? 'groups' : 'separates'}: ${JSON.stringify(a)} / ${JSON.stringify(b)}`, () => {
      const na = normalizeMessage(a);
      const nb = normalizeMessage(b);
      if (group) assert.equal(na, nb);
      else assert.notEqual(na, nb);
    });
  }
});

describe('tokens', () => {
  const cases: [input: string, expected: string][] = [
    ['User 123 not found', 'user <n> not found'],
    ['Timeout after 30s on db-7', 'timeout after <duration> on db-<n>'],
    ['Failed to load 550E8400-E29B-41D4-A716-446655440000', 'failed to load <uuid>'],
    ['Key \'abc\' missing, "x" and `y` too', 'key \'<s>\' missing, "<s>" and `<s>` too'],
    ['Empty key \'\'', "empty key '<s>'"],
    ['GET https://api.x.com/users/1?x=2&y=3#frag failed.', 'get <url> failed.'],
    ['(see http://x.io/a/b)', '(see <url>)'],
    ['Mail to ops+alerts@example.co.uk bounced', 'mail to <email> bounced'],
    ['From 10.0.0.1:8080 and 8.8.8.8.', 'from <ip> and <ip>.'],
    ['From ::1 and fe80::1ff:fe23:4567:890a', 'from <ip> and <ip>'],
    ['Connect to ::1: refused', 'connect to <ip>: refused'],
    ['Peer ::ffff:192.168.1.1 reset', 'peer <ip> reset'],
    ['At 2024-01-15T10:30:00Z and 2024-01-15 10:30:00.123+02:00', 'at <date> and <date>'],
    ['On 2024-01-15, 01/15/2024, 15.01.2024, 15-01-2024', 'on <date>, <date>, <date>, <date>'],
    ['On Jan 15, 2024 or 15 Jan 2024 or September 3rd, 2023', 'on <date> or <date> or <date>'],
    ['At 10:30:00, 9:05:07.250 and 10:30 PM', 'at <time>, <time> and <time>'],
    ['Took 150ms, 1.5 s, 2 minutes, 100µs, 10ns, 5min, 3h, 2d', 'took <duration>, <duration>, <duration>, <duration>, <duration>, <duration>, <duration>, <duration>'],
    ['Addr 0xDEADBEEF, sha 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08', 'addr <hex>, sha <hex>'],
    ['Values -5, 3.14, 6.02e23 and 1E-9', 'values <n>, <n>, <n> and <n>'],
    ['Host db-7.internal and worker12', 'host db-<n>.internal and worker<n>'],
    ['Line\n\n  two\tthree  ', 'line two three'],
  ];
  for (const [input, expected] of cases) {
    test(JSON.stringify(input), () => {
      assert.equal(normalizeMessage(input), expected);
    });
  }
});

describe('rule order keeps one token from eating another', () => {
  test('a URL with credentials and a port stays one URL', () => {
    assert.equal(normalizeMessage('fetch https://user:pw@10.0.0.1:8443/a failed'), 'fetch <url> failed');
  });

  test('a UUID is not split into hex runs and numbers', () => {
    assert.equal(normalizeMessage('id=123e4567-e89b-12d3-a456-426614174000;'), 'id=<uuid>;');
  });

  test('a datetime is not split into numbers and a time', () => {
    assert.equal(normalizeMessage('expired 2024-01-15T10:30:00.5Z'), 'expired <date>');
  });

  test('a quoted URL is a quoted string', () => {
    assert.equal(normalizeMessage('bad origin "https://x.com"'), 'bad origin "<s>"');
  });

  test('durations need a unit right after the number', () => {
    assert.equal(normalizeMessage('retried 3 times in 5 sec'), 'retried <n> times in <duration>');
  });
});

describe('words are left alone', () => {
  test('apostrophes inside words do not open quotes', () => {
    assert.equal(normalizeMessage("Can't open the users' file"), "can't open the users' file");
  });

  test('scope paths and hex-looking words are not addresses or hashes', () => {
    assert.equal(normalizeMessage('std::vector a::b dead::beef facade deadbeef'), 'std::vector a::b dead::beef facade deadbeef');
  });

  test('a bare host without dots or digits is not an email', () => {
    assert.equal(normalizeMessage('root@localhost denied'), 'root@localhost denied');
  });

  test('stack positions are numbers, not times', () => {
    assert.equal(normalizeMessage('at f (app.js:10:30)'), 'at f (app.js:<n>:<n>)');
  });
});

// The patterns are linear-time by construction (see normalize-message.ts); these inputs are
// the shapes that make naive patterns backtrack, checked here for the right *result*.
describe('16 KiB adversarial messages', () => {
  const size = 16 * 1024;
  const cases: [name: string, input: string, expected: string][] = [
    ['an email local part with no domain', 'a.'.repeat(size / 2) + '@', 'a.'.repeat(size / 2) + '@'],
    ['repeated at-signs', 'a@'.repeat(size / 2), 'a@'.repeat(size / 2)],
    ['escaped quotes without a closing quote', '"' + '\\"'.repeat(size / 2 - 1), '"' + '\\"'.repeat(size / 2 - 1)],
    ['one long digit run', '9'.repeat(size), '<n>'],
    ['one long hex run', 'ab12'.repeat(size / 4), '<hex>'],
    ['colons and hex', 'a1:'.repeat(size / 3), 'a<n>:'.repeat(size / 3)],
    ['a URL followed by punctuation', 'http://x' + '.'.repeat(size), '<url>' + '.'.repeat(size)],
    ['unclosed single quotes', " 'a".repeat(size / 3), " 'a".repeat(size / 3).trim()],
  ];
  for (const [name, input, expected] of cases) {
    test(name, () => {
      assert.equal(normalizeMessage(input), expected);
    });
  }
});
