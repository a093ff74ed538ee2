import { isIPv6 } from 'node:net';

/**
 * Error messages are grouped into issues by their *shape*: the variable parts (ids,
 * numbers, addresses, times, quoted values) become tokens, so "User 123 not found" and
 * "User 456 not found" both read "user <n> not found".
 *
 * Rules run in order and each one only sees what earlier rules left, so the wider
 * patterns go first: quoted strings, then URLs (before emails, hosts and numbers), UUIDs
 * (before hex and numbers), dates (before IPs, times and numbers), IPs, times, durations
 * (before numbers), hex ids, and finally any remaining digits.
 *
 * Messages may be 16 KiB of attacker-chosen text, and JavaScript regexes backtrack, so
 * every pattern is linear-time by construction:
 * - no unbounded quantifier sits inside another quantifier (only fixed `{n}`/`?` nesting);
 * - two adjacent unbounded quantifiers never accept the same character, except a `*`
 *   followed by a single-character tail, which backtracks at most once over its run;
 * - every unbounded pattern is anchored by a lookbehind to the *start* of a run of its
 *   characters, so a failed attempt is never retried from inside the same run.
 * Each character is therefore examined a bounded number of times per rule.
 */

interface Rule {
  readonly name: string;
  readonly pattern: RegExp;
  readonly replace: string | ((match: string) => string);
}

const MONTH =
  '(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|' +
  'sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)';

const DURATION_UNIT =
  '(?:ns|nanoseconds?|us|µs|μs|microseconds?|ms|msecs?|millis(?:econds?)?|' +
  's|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?)';

/** Pure digits are numbers and short letter-only runs are words ("deadbeef", "facade"). */
function hexOrKeep(run: string): string {
  const hasLetter = /[a-f]/i.test(run);
  const hasDigit = /[0-9]/.test(run);
  if (!hasLetter) return run;
  if (!hasDigit && run.length < 16) return run;
  if (/^[0-9]+e[0-9]+$/i.test(run)) return run; // 1234567e10 is a float, not a hash
  return '<hex>';
}

/** The candidate pattern is loose on purpose; node's parser decides what an IPv6 is. */
function ipv6OrKeep(candidate: string): string {
  // A digit is required so C++/Rust paths like `a::b` or `dead::beef` stay words.
  if (!candidate.includes(':') || !/[0-9]/.test(candidate)) return candidate;
  if (isIPv6(candidate)) return '<ip>';
  // "connect to ::1: refused" — the colon belongs to the sentence, not the address.
  if (candidate.endsWith(':') && !candidate.endsWith('::') && isIPv6(candidate.slice(0, -1))) return '<ip>:';
  return candidate;
}

const rules: readonly Rule[] = [
  {
    // An apostrophe inside a word ("can't", "users'") never opens a quote.
    name: 'single-quoted',
    pattern: /(?<!\w)'[^'\n]*'(?!\w)/g,
    replace: "'<s>'",
  },
  {
    // The opener may not be escaped, so a run of \" is not retried from every quote.
    name: 'double-quoted',
    pattern: /(?<!\\)"(?:[^"\\\n]|\\.)*"/g,
    replace: '"<s>"',
  },
  { name: 'backtick-quoted', pattern: /`[^`\n]*`/g, replace: '`<s>`' },
  {
    // Trailing sentence punctuation and closing brackets are not part of the URL.
    name: 'url',
    pattern: /(?<![\w+.-])(?:https?|wss?|ftps?):\/\/[^\s"'`<>]*[^\s"'`<>.,;:!?)\]}]/gi,
    replace: '<url>',
  },
  {
    name: 'email',
    pattern: /(?<![\w.%+-])[\w.%+-]+@[a-z0-9-]+\.[a-z0-9.-]*[a-z0-9]/gi,
    replace: '<email>',
  },
  {
    name: 'uuid',
    pattern: /(?<![0-9a-f])[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?![0-9a-f])/gi,
    replace: '<uuid>',
  },
  {
    name: 'iso-datetime',
    pattern:
      /(?<![\w.-])\d{4}[-/]\d{2}[-/]\d{2}(?:[t ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?(?:z|[+-]\d{2}(?::?\d{2})?)?)?(?!\w)/gi,
    replace: '<date>',
  },
  {
    // 01/15/2024, 15.01.2024, 15-01-2024: the same separator twice, four-digit year.
    name: 'numeric-date',
    pattern: /(?<![\w./-])\d{1,2}([./-])\d{1,2}\1\d{4}(?!\w|[./-]\d)/g,
    replace: '<date>',
  },
  {
    name: 'month-day-year',
    pattern: new RegExp(`(?<!\\w)${MONTH}\\.? \\d{1,2}(?:st|nd|rd|th)?,? \\d{4}(?!\\w)`, 'gi'),
    replace: '<date>',
  },
  {
    name: 'day-month-year',
    pattern: new RegExp(`(?<!\\w)\\d{1,2}(?:st|nd|rd|th)? ${MONTH}\\.?,? \\d{4}(?!\\w)`, 'gi'),
    replace: '<date>',
  },
  {
    // Before IPv4 so that IPv4-mapped addresses (::ffff:10.0.0.1) become one token.
    // 45 characters is the longest textual IPv6 address.
    name: 'ipv6',
    pattern: /(?<![\w:.])[0-9a-f:.]{1,44}[0-9a-f:](?![\w:]|\.\w)/gi,
    replace: ipv6OrKeep,
  },
  {
    name: 'ipv4',
    pattern: /(?<![\w.])\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?::\d{1,5})?(?!\w|\.\d)/g,
    replace: '<ip>',
  },
  {
    // Seconds (or am/pm) are required, and a preceding ':' excludes stack positions such
    // as app.js:10:30, which would otherwise read as a time only for small line numbers.
    name: 'time',
    pattern: /(?<![\w:.])\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?(?: ?[ap]m)?| ?[ap]m)(?![\w:])/gi,
    replace: '<time>',
  },
  {
    // "took 150ms" and "took 1.5s" must group, which bare number tokens would not do.
    name: 'duration',
    pattern: new RegExp(`(?<![\\w.])\\d+(?:\\.\\d+)? ?${DURATION_UNIT}(?!\\w)`, 'gi'),
    replace: '<duration>',
  },
  { name: 'hex-literal', pattern: /(?<![a-z0-9])0x[0-9a-f]+(?![a-z0-9])/gi, replace: '<hex>' },
  {
    // Underscores and dashes delimit, so req_5f3a9b2c1d and pod-7f9c8d6b5 keep their prefix.
    // Seven characters is git's short SHA.
    name: 'hex-run',
    pattern: /(?<![a-z0-9])[0-9a-f]{7,}(?![a-z0-9])/gi,
    replace: hexOrKeep,
  },
  {
    // Digits anywhere, including inside identifiers (db-7, worker12). The minus sign
    // counts only when it does not join two words, so db-7 stays "db-<n>".
    name: 'number',
    pattern: /(?:(?<![\w.])-)?\d+(?:\.\d+)?(?:e[+-]?\d+)?/gi,
    replace: '<n>',
  },
];

/** Called once per variable part a rule replaced: the rule's name, the text and its token. */
export type OnToken = (rule: string, text: string, token: string) => void;

/**
 * The message's shape. With `onToken`, each replacement is also reported (for a grouping
 * explanation); the shape is the same either way, since both run these rules in this
 * order, and without it the rules run as plain string replacements: this is the hot path.
 */
export function normalizeMessage(message: string, onToken?: OnToken): string {
  let out = message;
  for (const rule of rules) {
    const { name, pattern, replace } = rule;
    if (onToken !== undefined) {
      // None of the replacement strings holds a `$` pattern, so returning it from a function is the same replacement.
      out = out.replace(pattern, (text: string) => {
        const token = typeof replace === 'string' ? replace : replace(text);
        if (token !== text) onToken(name, text, token);
        return token;
      });
    } else {
      out = typeof replace === 'string' ? out.replace(pattern, replace) : out.replace(pattern, replace);
    }
  }
  return out.toLowerCase().replace(/\s+/g, ' ').trim();
}
