/**
 * Sentry's envelope format (what SDKs send to `/api/<project>/envelope/`): a header line of
 * JSON, then items, each a header line of JSON and a payload. A payload is `length` bytes when
 * its header says so (attachments may hold newlines), else the rest of its line.
 * https://develop.sentry.dev/sdk/data-model/envelopes/
 */

export interface EnvelopeItem {
  /** `event`, `session`, `attachment`, `transaction`…: what the payload is. */
  type: string;
  header: Record<string, unknown>;
  payload: Buffer;
}

export interface Envelope {
  header: Record<string, unknown>;
  items: EnvelopeItem[];
}

const NEWLINE = 0x0a;

/** The line starting at `from` (without its newline) and where the next one starts. */
function lineAt(body: Buffer, from: number): { line: Buffer; next: number } {
  const end = body.indexOf(NEWLINE, from);
  return end === -1 ? { line: body.subarray(from), next: body.length } : { line: body.subarray(from, end), next: end + 1 };
}

const isBlank = (line: Buffer) => line.toString('latin1').trim() === '';

function jsonObject(line: Buffer, where: string): Record<string, unknown> | string {
  let value: unknown;
  try {
    value = JSON.parse(line.toString('utf8'));
  } catch {
    return `${where}: not valid JSON`;
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : `${where}: must be a JSON object`;
}

/** The envelope, or why it cannot be read, naming the line or item (`envelope item 2: length 90 exceeds the 12 bytes left`). */
export function parseEnvelope(body: Buffer): Envelope | string {
  const first = lineAt(body, 0);
  if (isBlank(first.line)) return 'envelope: empty; expected a header line of JSON';
  const header = jsonObject(first.line, 'envelope header (line 1)');
  if (typeof header === 'string') return header;
  const items: EnvelopeItem[] = [];
  let at = first.next;
  while (at < body.length) {
    const { line, next } = lineAt(body, at);
    // Blank lines between items (a trailing newline, a payload's own) separate nothing.
    if (isBlank(line)) {
      at = next;
      continue;
    }
    const where = `envelope item ${items.length + 1}`;
    const itemHeader = jsonObject(line, `${where} header`);
    if (typeof itemHeader === 'string') return itemHeader;
    const { type, length } = itemHeader;
    if (typeof type !== 'string' || type === '') return `${where} header: type is required (event, session, attachment…)`;
    let payload: Buffer;
    if (length === undefined || length === null) {
      const rest = lineAt(body, next);
      payload = rest.line;
      at = rest.next;
    } else {
      if (typeof length !== 'number' || !Number.isInteger(length) || length < 0) return `${where} header: length must be a non-negative integer`;
      if (next + length > body.length) return `${where} header: length ${length} exceeds the ${body.length - next} bytes left`;
      payload = body.subarray(next, next + length);
      at = next + length;
    }
    items.push({ type, header: itemHeader, payload });
  }
  return { header, items };
}
