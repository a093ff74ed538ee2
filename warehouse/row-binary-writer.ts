/** Growable little-endian buffer writer. */
export class RowBinaryWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(initialBytes = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  uvarint(v: number): void {
    this.ensure(10);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
  }

  string(s: string): void {
    const n = s.length;
    // Under 43 UTF-16 units the UTF-8 length is under 128: a one-byte prefix, known before writing.
    if (n < 43) {
      this.ensure(1 + n * 3);
      const start = this.pos + 1;
      let p = start;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        this.buf[p++] = c;
      }
      if (i < n) p += this.buf.write(s.slice(i), p, 'utf8');
      this.buf[this.pos] = p - start;
      this.pos = p;
      return;
    }
    const len = Buffer.byteLength(s, 'utf8');
    this.uvarint(len);
    this.ensure(len);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  zeros(n: number): void {
    this.ensure(n);
    this.buf.fill(0, this.pos, this.pos + n);
    this.pos += n;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  fixed(bytes: 1 | 2 | 4, signed: boolean, v: number): void {
    this.ensure(bytes);
    if (bytes === 1) this.pos = signed ? this.buf.writeInt8(v, this.pos) : this.buf.writeUInt8(v, this.pos);
    else if (bytes === 2) this.pos = signed ? this.buf.writeInt16LE(v, this.pos) : this.buf.writeUInt16LE(v, this.pos);
    else this.pos = signed ? this.buf.writeInt32LE(v, this.pos) : this.buf.writeUInt32LE(v, this.pos);
  }

  /** A safe integer as two 32-bit halves: BigInt conversion per value costs more than the rest of the row. */
  int64(v: number | bigint, signed: boolean): void {
    this.ensure(8);
    if (typeof v === 'bigint') {
      this.pos = signed ? this.buf.writeBigInt64LE(v, this.pos) : this.buf.writeBigUInt64LE(v, this.pos);
      return;
    }
    const lo = v >>> 0;
    this.buf.writeUInt32LE(lo, this.pos);
    this.buf.writeInt32LE((v - lo) / 0x1_0000_0000, this.pos + 4);
    this.pos += 8;
  }

  float(bytes: 4 | 8, v: number): void {
    this.ensure(bytes);
    this.pos = bytes === 4 ? this.buf.writeFloatLE(v, this.pos) : this.buf.writeDoubleLE(v, this.pos);
  }

  done(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}
