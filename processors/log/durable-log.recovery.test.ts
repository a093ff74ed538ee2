import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFile, readFile, readdir, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { Topics } from '@strix/contracts';
import { crashValue } from './crash-writer.fixture.ts';
import { openDurableLog } from './durable-log.ts';
import { drain, record, tempDir } from '@strix/testkit/temp-dir';

const firstSegment = (dir: string): string => join(dir, Topics.events, '00000000000000000000.seg');

async function writeTen(dir: string): Promise<void> {
  const log = await openDurableLog({ dir });
  await log.append(Topics.events, Array.from({ length: 10 }, (_, i) => record(`k${i}`, `value-${i}`.repeat(i + 1))));
  await log.close();
}

async function reopenAndCheck(dir: string, survivors: number): Promise<string[]> {
  const warnings: string[] = [];
  const log = await openDurableLog({ dir, onWarning: (m) => warnings.push(m) });
  assert.equal(log.stats(Topics.events).nextOffset, survivors);
  const all = await drain(await log.consumer(Topics.events, 'check'));
  assert.deepEqual(
    all.map((r) => [r.offset, r.key, r.value.toString()]),
    Array.from({ length: survivors }, (_, i) => [i, `k${i}`, `value-${i}`.repeat(i + 1)]),
  );
  // New appends land right after the last good record and survive another reopen.
  await log.append(Topics.events, [record('after', 'recovery')]);
  await log.close();
  const again = await openDurableLog({ dir });
  const tail = await drain(await again.consumer(Topics.events, 'tail'));
  assert.deepEqual(tail.at(-1) && [tail.at(-1)?.offset, tail.at(-1)?.key], [survivors, 'after']);
  assert.equal(tail.length, survivors + 1);
  await again.close();
  return warnings;
}

test('garbage after the last record is truncated on reopen', async (t) => {
  const dir = await tempDir(t);
  await writeTen(dir);
  const goodBytes = (await stat(firstSegment(dir))).size;
  // A header promising 1000 bytes followed by only a few: a write cut off by a crash.
  const torn = Buffer.alloc(20);
  torn.writeUInt32BE(1000, 0);
  await appendFile(firstSegment(dir), torn);
  const warnings = await reopenAndCheck(dir, 10);
  assert.match(warnings.join('\n'), /record cut short by end of file at byte \d+; dropped 20 bytes/);
  assert.ok((await stat(firstSegment(dir))).size > goodBytes, 'the new append replaced the torn bytes');
});

test('a partial header at the end is dropped', async (t) => {
  const dir = await tempDir(t);
  await writeTen(dir);
  await appendFile(firstSegment(dir), Buffer.from([0, 0, 1]));
  const warnings = await reopenAndCheck(dir, 10);
  assert.match(warnings.join('\n'), /dropped 3 bytes/);
});

test('a record cut mid-payload is dropped with everything after it', async (t) => {
  const dir = await tempDir(t);
  await writeTen(dir);
  await truncate(firstSegment(dir), (await stat(firstSegment(dir))).size - 5);
  await reopenAndCheck(dir, 9);
});

test('zeroed bytes after the last record are not mistaken for records', async (t) => {
  const dir = await tempDir(t);
  await writeTen(dir);
  await appendFile(firstSegment(dir), Buffer.alloc(4096));
  const warnings = await reopenAndCheck(dir, 10);
  assert.match(warnings.join('\n'), /implausible record length 0/);
});

test('a CRC mismatch in the last record drops that record', async (t) => {
  const dir = await tempDir(t);
  await writeTen(dir);
  const bytes = await readFile(firstSegment(dir));
  const last = bytes.length - 1;
  bytes[last] = (bytes[last] ?? 0) ^ 0x01;
  await writeFile(firstSegment(dir), bytes);
  const warnings = await reopenAndCheck(dir, 9);
  assert.match(warnings.join('\n'), /CRC mismatch/);
});

test('damage in an earlier segment stops the log there and sets later segments aside', async (t) => {
  const dir = await tempDir(t);
  const log = await openDurableLog({ dir, segmentBytes: 200 });
  await log.append(Topics.events, Array.from({ length: 10 }, (_, i) => record(`k${i}`, `value-${i}`.repeat(i + 1))));
  assert.ok(log.stats(Topics.events).segments > 2);
  await log.close();

  const bytes = await readFile(firstSegment(dir));
  bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0xff;
  await writeFile(firstSegment(dir), bytes);
  const warnings: string[] = [];
  const reopened = await openDurableLog({ dir, onWarning: (m) => warnings.push(m) });
  const survivors = reopened.stats(Topics.events).nextOffset;
  assert.ok(survivors < 10);
  assert.equal(reopened.stats(Topics.events).segments, 1);
  assert.match(warnings.join('\n'), /not the last one/);
  assert.match(warnings.join('\n'), /\.seg\.lost, their records are lost/);
  assert.ok((await readdir(join(dir, Topics.events))).some((name) => name.endsWith('.seg.lost')));
  await reopened.append(Topics.events, [record('next', 'x')]);
  const all = await drain(await reopened.consumer(Topics.events, 'g'));
  assert.deepEqual(all.map((r) => r.offset), Array.from({ length: survivors + 1 }, (_, i) => i));
  await reopened.close();
});

test('kill -9 mid-append loses no acknowledged record', { timeout: 30_000 }, async (t) => {
  const dir = await tempDir(t);
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'crash-writer.fixture.ts'), dir], {
    cwd: import.meta.dirname,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`crash writer exited early with code ${code}`)));
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      if (output === '') setTimeout(resolve, 300);
      output += chunk;
    });
  });
  child.kill('SIGKILL');
  await exited;

  // The last line may be cut off mid-write; only whole lines are acknowledgements.
  const acked = output
    .split('\n')
    .slice(0, -1)
    .map((line) => {
      const [offset, key] = line.split(' ');
      return { offset: Number(offset), key: key ?? '' };
    });
  assert.ok(acked.length > 0);

  const log = await openDurableLog({ dir, onWarning: () => undefined });
  const all = await drain(await log.consumer(Topics.events, 'verify'));
  assert.deepEqual(all.map((r) => r.offset), Array.from({ length: all.length }, (_, i) => i), 'offsets are contiguous');
  for (const r of all) assert.deepEqual(r.value, crashValue(r.key), `record ${r.offset} is intact`);
  for (const { offset, key } of acked) assert.equal(all[offset]?.key, key, `acknowledged offset ${offset} survived`);
  await log.append(Topics.events, [record('after', 'crash')]);
  assert.equal(log.stats(Topics.events).nextOffset, all.length + 1);
  await log.close();
});
