/**
 * Child process for the kill -9 test: appends from several concurrent writers
 * until killed, printing `<offset> <key>` for every record whose append resolved.
 * Offsets are known up front because appends are queued in call order.
 */
import { Topics } from '@strix/contracts';
import { openDurableLog } from './durable-log.ts';

export function crashValue(key: string): Buffer {
  return Buffer.from(`${key}:`.repeat(1 + (key.length % 7) * 20));
}

const WRITERS = 8;
const RECORDS_PER_APPEND = 3;

async function main(dir: string): Promise<void> {
  const log = await openDurableLog({ dir, segmentBytes: 32 * 1024 });
  let nextOffset = log.stats(Topics.events).nextOffset;
  const writer = async (id: number): Promise<void> => {
    for (let seq = 0; ; seq++) {
      const records = Array.from({ length: RECORDS_PER_APPEND }, (_, i) => {
        const key = `w${id}-${seq}-${i}`;
        return { key, value: crashValue(key) };
      });
      const base = nextOffset;
      nextOffset += records.length;
      await log.append(Topics.events, records);
      process.stdout.write(records.map((r, i) => `${base + i} ${r.key}\n`).join(''));
    }
  };
  await Promise.all(Array.from({ length: WRITERS }, (_, id) => writer(id)));
}

const dir = process.argv[2];
if (dir !== undefined && import.meta.filename === process.argv[1]) {
  main(dir).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
