/**
 * Kafka's murmur2 (the Java client's `Utils.murmur2`, which its default partitioner uses) in 32-bit
 * integer arithmetic. @platformatic/kafka's own computes it with BigInt, about 2 µs per key, and the
 * ingest role hashes every user of every request; this one gives the same number (murmur2.test.ts).
 */
const M = 0x5bd1e995;
const SEED = 0x9747b28c;

export function murmur2(data: Buffer): number {
  const length = data.length;
  const whole = length - (length % 4);
  let h = SEED ^ length;
  for (let i = 0; i < whole; i += 4) {
    let k = data.readInt32LE(i);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  switch (length % 4) {
    case 3:
      h ^= data[whole + 2]! << 16;
    // falls through
    case 2:
      h ^= data[whole + 1]! << 8;
    // falls through
    case 1:
      h ^= data[whole]!;
      h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** The partition Kafka's Java client (and `compatibilityPartitioner`) gives a key: murmur2 & 0x7fffffff, modulo the count. */
export function kafkaPartitionOf(key: Buffer, partitions: number): number {
  return (murmur2(key) & 0x7fffffff) % partitions;
}
