/**
 * How a command prints what it read, in the format asked for:
 *   table  chosen columns, aligned, fitted to the terminal (for people);
 *   json   the API's answer (a listing: its array of objects), indented;
 *   csv    every field of every row (RFC 4180; nested values as JSON).
 */
export const Formats = ['table', 'json', 'csv'] as const;
export type Format = (typeof Formats)[number];

export type Row = Record<string, unknown>;

export interface Column {
  /** The field shown (also the header). */
  key: string;
  header?: string;
  /** Derives the cell when it is not the field itself. */
  value?: (row: Row) => unknown;
  /** Right-aligned (numbers). */
  numeric?: boolean;
}

export interface Listing {
  rows: readonly Row[];
  columns: readonly Column[];
  /** What `--format json` prints when it is more than the rows (a report with its scope). */
  json?: unknown;
}

export interface TableOptions {
  /** Terminal width: cells are cut to fit it; none when output is not a terminal. */
  width?: number;
}

export function render(listing: Listing, format: Format, options: TableOptions = {}): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(listing.json ?? listing.rows, null, 2)}\n`;
    case 'csv':
      return csv(listing.rows);
    case 'table':
      return table(listing.rows, listing.columns, options);
    default: {
      const unreachable: never = format;
      throw new Error(`unknown format ${String(unreachable)}`);
    }
  }
}

/** A cell as text on one line. */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value.replace(/\r?\n|\r/g, ' ⏎ ').replace(/\t/g, ' ');
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value) && value.every((v) => typeof v === 'string' || typeof v === 'number')) return value.join(', ');
  return JSON.stringify(value);
}

const minCellWidth = 6;
const gap = '  ';

export function table(rows: readonly Row[], columns: readonly Column[], options: TableOptions = {}): string {
  const header = columns.map((c) => c.header ?? c.key);
  const cells = rows.map((row) => columns.map((c) => cellText(c.value ? c.value(row) : row[c.key])));
  const widths = header.map((h, i) => Math.max(length(h), ...cells.map((r) => length(r[i] ?? ''))));
  if (options.width !== undefined) fit(widths, options.width - gap.length * (columns.length - 1));
  const line = (values: string[]) =>
    values
      .map((v, i) => {
        const width = widths[i] ?? 0;
        const cut = length(v) > width ? `${[...v].slice(0, Math.max(0, width - 1)).join('')}…` : v;
        const pad = ' '.repeat(Math.max(0, width - length(cut)));
        return columns[i]?.numeric ? pad + cut : cut + (i === values.length - 1 ? '' : pad);
      })
      .join(gap)
      .trimEnd();
  return [line(header), ...cells.map(line)].map((l) => `${l}\n`).join('');
}

/** Narrows the widest columns until the row fits `room`, never below a few characters. */
function fit(widths: number[], room: number): void {
  let total = widths.reduce((a, b) => a + b, 0);
  while (total > room) {
    const widest = widths.indexOf(Math.max(...widths));
    if ((widths[widest] ?? 0) <= minCellWidth) return;
    widths[widest] = (widths[widest] ?? 0) - 1;
    total--;
  }
}

const length = (text: string) => [...text].length;

/** Rows as CSV with a header of every field seen, in first-seen order. */
export function csv(rows: readonly Row[], fields = fieldsOf(rows)): string {
  const lines = [fields.map(csvCell), ...rows.map((row) => fields.map((f) => csvCell(csvValue(row[f]))))];
  return lines.map((l) => `${l.join(',')}\r\n`).join('');
}

export function fieldsOf(rows: readonly Row[]): string[] {
  const seen = new Set<string>();
  for (const row of rows) for (const key of Object.keys(row)) seen.add(key);
  return [...seen];
}

function csvValue(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}

function csvCell(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A fraction as a percentage with one decimal (`0.4567` → `45.7%`). */
export const percent = (value: unknown): string => (typeof value === 'number' ? `${(value * 100).toFixed(1)}%` : '');
