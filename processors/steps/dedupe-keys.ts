/**
 * How the deduper names a key without keeping it: its tenant (a number) and a
 * 96-bit seeded fingerprint of its event id, and a batch's set of such keys.
 */

/** Where a key's probe run starts in an open-addressing index: its tenant and first fingerprint word, mixed. */
export function homeOf(tenant: number, print0: number): number {
  return fmix32(print0 ^ Math.imul(tenant, 0x9e3779b1));
}

/** MurmurHash3's finalizer: every input bit flips each output bit with probability about 1/2. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Three seeded 32-bit hashes of `key` from `from` on (its UTF-16 code units), in `out`:
 * MurmurHash3's mixing per lane, the lanes folded into each other at the end.
 */
export function fingerprint(key: string, from: number, seeds: Uint32Array, out: Uint32Array): void {
  // `| 0` keeps every step a 32-bit integer, which the compiler keeps in registers.
  let a = seeds[0]! | 0;
  let b = seeds[1]! | 0;
  let c = seeds[2]! | 0;
  for (let i = from; i < key.length; i += 1) {
    const k = Math.imul(key.charCodeAt(i), 0xcc9e2d51);
    a = (Math.imul(rotl(a ^ rotl(k, 15), 13), 5) + 0xe6546b64) | 0;
    b = (Math.imul(rotl(b ^ rotl(k, 17), 11), 9) + 0x1b873593) | 0;
    c = (Math.imul(rotl(c ^ rotl(k, 19), 7), 3) + 0x38b34ae5) | 0;
  }
  const length = key.length - from;
  a = fmix32(a ^ length);
  b = fmix32(b ^ length ^ a);
  c = fmix32(c ^ length ^ b);
  out[0] = fmix32(a ^ c);
  out[1] = b;
  out[2] = c;
}

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

/**
 * A key's slot in an open-addressing index (linear probing) over entries kept in parallel arrays
 * (`index` holds entry + 1, 0 when empty; entry e's tenant is `tenants[e]`, its fingerprint
 * `prints[3e..3e+2]`), or the complement (~) of the empty slot where it would go.
 */
export function probe(index: Uint32Array, tenants: Uint32Array, prints: Uint32Array, tenant: number, p0: number, p1: number, p2: number): number {
  const mask = index.length - 1;
  for (let slot = homeOf(tenant, p0) & mask; ; slot = (slot + 1) & mask) {
    const stored = index[slot]!;
    if (stored === 0) return ~slot;
    const e = stored - 1;
    const at = 3 * e;
    if (tenants[e] === tenant && prints[at] === p0 && prints[at + 1] === p1 && prints[at + 2] === p2) return slot;
  }
}

/**
 * The keys of the events a batch let through, as the deduper names them
 * (`EventDeduper.noteIn`), each with the batch's `received_at`: what the deduper
 * learns once the batch is committed (`EventDeduper.learn`), and what the next
 * batch checks while this one is being stored. Typed arrays and an
 * open-addressing index, so a batch of 50,000 events makes no object per key.
 */
export class BatchKeys {
  private tenant = new Uint32Array(256);
  private print = new Uint32Array(3 * 256);
  private at = new Float64Array(256);
  /** Slot → entry + 1 (0: empty); twice the entries' capacity, so at most half full. */
  private index = new Uint32Array(512);
  size = 0;

  has(tenant: number, p0: number, p1: number, p2: number): boolean {
    return probe(this.index, this.tenant, this.print, tenant, p0, p1, p2) >= 0;
  }

  /** Adds a key that is not in the set yet. */
  add(tenant: number, p0: number, p1: number, p2: number, atMs: number): void {
    if (this.size === this.tenant.length) this.grow();
    const entry = this.size++;
    this.tenant[entry] = tenant;
    this.print[3 * entry] = p0;
    this.print[3 * entry + 1] = p1;
    this.print[3 * entry + 2] = p2;
    this.at[entry] = atMs;
    this.index[~probe(this.index, this.tenant, this.print, tenant, p0, p1, p2)] = entry + 1;
  }

  /** Each key in the order it was added: its tenant, fingerprint words and time. */
  forEach(visit: (tenant: number, p0: number, p1: number, p2: number, atMs: number) => void): void {
    for (let e = 0; e < this.size; e += 1) visit(this.tenant[e]!, this.print[3 * e]!, this.print[3 * e + 1]!, this.print[3 * e + 2]!, this.at[e]!);
  }

  private grow(): void {
    const capacity = 2 * this.tenant.length;
    const tenant = new Uint32Array(capacity);
    const print = new Uint32Array(3 * capacity);
    const at = new Float64Array(capacity);
    tenant.set(this.tenant);
    print.set(this.print);
    at.set(this.at);
    this.tenant = tenant;
    this.print = print;
    this.at = at;
    this.index = new Uint32Array(2 * capacity);
    for (let e = 0; e < this.size; e += 1) this.index[~probe(this.index, tenant, print, tenant[e]!, print[3 * e]!, print[3 * e + 1]!, print[3 * e + 2]!)] = e + 1;
  }
}
