/**
 * On-disk record framing shared by the writer, the recovery scan and readers:
 *
 *   length  u32 BE   bytes of payload
 *   crc32   u32 BE   of payload
 *   payload          u16 BE key length, key (utf8), value bytes
 *
 * The CRC covers the key too, so a flipped bit anywhere in a record is caught.
 */
import * as zlib from 'node:zlib';
import type { LogRecord } from '@strix/contracts';

export const FRAME_HEADER_BYTES = 8;
const KEY_LENGTH_BYTES = 2;
const MAX_KEY_BYTES = 0xffff;
/**
 * A length above this is treated as corruption rather than a record: a torn or
 * zeroed header must not make recovery allocate gigabytes.
 */
export const MAX_PAYLOAD_BYTES = 256 * 1024 * 1024;

const table = buildCrcTable();

function buildCrcTable(): Uint32Array {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
}

function crc32Fallback(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) crc = (table[(crc ^ byte) & 0xff] ?? 0) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

// zlib.crc32 is native and far faster, but only exists from Node 20.15; engines allows 20.10.
const nativeCrc32 = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;
export const crc32: (data: Uint8Array) => number = nativeCrc32 ?? crc32Fallback;

export class RecordTooLargeError extends Error {}

/** One record as a ready-to-write frame. */
export function encodeFrame(record: LogRecord): Buffer {
  const keyBytes = Buffer.byteLength(record.key, 'utf8');
  if (keyBytes > MAX_KEY_BYTES) {
    throw new RecordTooLargeError(`log record key is ${keyBytes} bytes; the limit is ${MAX_KEY_BYTES}`);
  }
  const payloadBytes = KEY_LENGTH_BYTES + keyBytes + record.value.length;
  if (payloadBytes > MAX_PAYLOAD_BYTES) {
    throw new RecordTooLargeError(`log record is ${payloadBytes} bytes; the limit is ${MAX_PAYLOAD_BYTES}`);
  }
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payloadBytes);
  frame.writeUInt32BE(payloadBytes, 0);
  frame.writeUInt16BE(keyBytes, FRAME_HEADER_BYTES);
  frame.write(record.key, FRAME_HEADER_BYTES + KEY_LENGTH_BYTES, keyBytes, 'utf8');
  record.value.copy(frame, FRAME_HEADER_BYTES + KEY_LENGTH_BYTES + keyBytes);
  frame.writeUInt32BE(crc32(frame.subarray(FRAME_HEADER_BYTES)), 4);
  return frame;
}

export type FrameCheck =
  | { kind: 'ok'; frameBytes: number }
  /** The buffer ends before the frame does: read more, or a torn tail at end of file. */
  | { kind: 'partial'; frameBytes: number | undefined }
  | { kind: 'corrupt'; reason: string };

/** Validates the frame starting at `at` without decoding it. */
export function checkFrame(buf: Buffer, at: number): FrameCheck {
  if (buf.length - at < FRAME_HEADER_BYTES) return { kind: 'partial', frameBytes: undefined };
  const payloadBytes = buf.readUInt32BE(at);
  // A zero length is what a zero-filled (never written) region looks like; its CRC would "match".
  if (payloadBytes < KEY_LENGTH_BYTES || payloadBytes > MAX_PAYLOAD_BYTES) {
    return { kind: 'corrupt', reason: `implausible record length ${payloadBytes}` };
  }
  const frameBytes = FRAME_HEADER_BYTES + payloadBytes;
  if (buf.length - at < frameBytes) return { kind: 'partial', frameBytes };
  const payload = buf.subarray(at + FRAME_HEADER_BYTES, at + frameBytes);
  if (crc32(payload) !== buf.readUInt32BE(at + 4)) return { kind: 'corrupt', reason: 'CRC mismatch' };
  if (KEY_LENGTH_BYTES + payload.readUInt16BE(0) > payloadBytes) {
    return { kind: 'corrupt', reason: 'key length exceeds record length' };
  }
  return { kind: 'ok', frameBytes };
}

/** Decodes a frame that `checkFrame` accepted. The value is copied so it does not pin the read chunk. */
export function decodeFrame(buf: Buffer, at: number): LogRecord {
  const payloadBytes = buf.readUInt32BE(at);
  const keyStart = at + FRAME_HEADER_BYTES + KEY_LENGTH_BYTES;
  const keyEnd = keyStart + buf.readUInt16BE(at + FRAME_HEADER_BYTES);
  const end = at + FRAME_HEADER_BYTES + payloadBytes;
  return { key: buf.toString('utf8', keyStart, keyEnd), value: Buffer.from(buf.subarray(keyEnd, end)) };
}
