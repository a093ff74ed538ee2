/**
 * `param_<name>` values arrive in ClickHouse's escaped text form (`it\'s`,
 * `['a','b']`). chDB's binder takes JS values and escapes strings itself, so
 * each value is decoded to the JS value it denotes: scalars are unescaped,
 * arrays of strings and numbers become JS arrays the binder writes back as literals.
 */
export type BoundValue = string | number | bigint | (string | number | bigint)[];

const escapes: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', '0': '\0', a: '\x07', v: '\v' };

export function unescapeText(text: string): string {
  return text.replace(/\\(.)/gs, (_m, c: string) => escapes[c] ?? c);
}

function numberOf(token: string): number | bigint | undefined {
  if (/^-?\d+$/.test(token)) {
    const n = Number(token);
    return Number.isSafeInteger(n) ? n : BigInt(token);
  }
  return /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(token) ? Number(token) : undefined;
}

/** A flat array literal of quoted strings and numbers, or undefined if the text is anything else. */
function parseFlatArray(text: string): (string | number | bigint)[] | undefined {
  const body = text.trim();
  if (!body.startsWith('[') || !body.endsWith(']')) return undefined;
  const items: (string | number | bigint)[] = [];
  const element = /\s*(?:'((?:[^'\\]|\\.)*)'|([^,'\s\]]+))\s*(,|$)/gsy;
  const inner = body.slice(1, -1);
  if (inner.trim() === '') return items;
  let last = '';
  while (element.lastIndex < inner.length) {
    const m = element.exec(inner);
    if (!m) return undefined;
    if (m[1] !== undefined) items.push(unescapeText(m[1]));
    else {
      const n = numberOf(m[2] ?? '');
      if (n === undefined) return undefined;
      items.push(n);
    }
    last = m[3] ?? '';
    if (last === '') break;
  }
  return last === ',' || element.lastIndex < inner.length ? undefined : items;
}

/** Decodes every parameter, using the `{name:Type}` declarations in the SQL to tell arrays from strings. */
export function decodeParams(sql: string, raw: Record<string, string>): Record<string, BoundValue> {
  const types = new Map<string, string>();
  for (const m of sql.matchAll(/\{\s*(\w+)\s*:\s*([^}]+)\}/g)) types.set(m[1] ?? '', (m[2] ?? '').trim());
  const out: Record<string, BoundValue> = {};
  for (const [name, text] of Object.entries(raw)) {
    const array = /^Array\(/i.test(types.get(name) ?? '') ? parseFlatArray(text) : undefined;
    out[name] = array ?? unescapeText(text);
  }
  return out;
}
