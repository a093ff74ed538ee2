import type { Row } from './output.ts';

/** Rows from JSONCompactEachRowWithNames: a line of names, then a JSON array per row. */
export function rowsOfCompact(text: string): { names: string[]; rows: Row[] } {
  const lines = text.split('\n').filter((l) => l.length > 0);
  const names = lines.length > 0 ? (JSON.parse(lines[0] ?? '[]') as string[]) : [];
  const rows = lines.slice(1).map((line) => {
    const values = JSON.parse(line) as unknown[];
    return Object.fromEntries(names.map((name, i) => [name, values[i]]));
  });
  return { names, rows };
}
