/** ES2024's `String.prototype.isWellFormed` (Node 20 has it; the repository compiles against the ES2022 lib). */
const isWellFormed = (s: string): boolean => (s as unknown as { isWellFormed(): boolean }).isWellFormed();

/** The first lone surrogate of a string that is not well formed, as `\uXXXX`. */
function loneSurrogate(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const high = c >= 0xd800 && c <= 0xdbff;
    if (high && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      i++;
      continue;
    }
    if (high || (c >= 0xdc00 && c <= 0xdfff)) return `\\u${c.toString(16).padStart(4, '0')}`;
  }
  return '';
}

/** How an error message names a key: JSON-escaped, so a lone surrogate shows as `\ud800` rather than breaking the response. */
const quotedKey = (key: string) => JSON.stringify(key);

/**
 * Where the first string of a validated item that is not well-formed Unicode
 * is, as `path: message`, or undefined when every string and every object key
 * is well formed.
 *
 * JSON lets a client send a lone UTF-16 surrogate (`"\ud800"`); JavaScript
 * carries it, but the warehouse refuses it (ClickHouse's JSONEachRow parser:
 * "missing second part of surrogate pair"), and one such event used to fail
 * every insert of its batch. Valid JSON is not valid text, so the edge checks
 * the text itself. Nothing else a validated item can hold was refused by the
 * warehouse in our experiments (NUL, noncharacters, empty or odd map keys, the
 * largest finite numbers); the schemas already bound nesting, sizes and types.
 *
 * Walks the schema's output, so only what goes on to the log is checked. The
 * common case (all well formed) builds no path strings: paths are built on a
 * second walk, only once something was found.
 */
export function findMalformedText(value: unknown, path: string): string | undefined {
  return isAllWellFormed(value) ? undefined : describeMalformed(value, path);
}

function isAllWellFormed(value: unknown): boolean {
  if (typeof value === 'string') return isWellFormed(value);
  if (typeof value !== 'object' || value === null) return true;
  if (Array.isArray(value)) return value.every(isAllWellFormed);
  for (const key in value) {
    if (!isWellFormed(key) || !isAllWellFormed((value as Record<string, unknown>)[key])) return false;
  }
  return true;
}

function describeMalformed(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') {
    return isWellFormed(value) ? undefined : `${path}: must be well-formed Unicode text (lone surrogate ${loneSurrogate(value)})`;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = describeMalformed(value[i], `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  for (const [key, inner] of Object.entries(value)) {
    if (!isWellFormed(key)) {
      return `${path}[${quotedKey(key)}]: keys must be well-formed Unicode text (lone surrogate ${loneSurrogate(key)})`;
    }
    const found = describeMalformed(inner, `${path}.${key}`);
    if (found) return found;
  }
  return undefined;
}
