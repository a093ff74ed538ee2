import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Topics, type Log, type LogConsumer, type LogRecord, type Topic } from '@strix/contracts';
import { HotKeyRouter } from './hot-keys.ts';

class RecordingLog implements Log {
  readonly appended: { topic: Topic; key: string; value: string }[] = [];
  append(topic: Topic, records: readonly LogRecord[]): Promise<void> {
    for (const r of records) this.appended.push({ topic, key: r.key, value: r.value.toString() });
    return Promise.resolve();
  }
  consumer(): Promise<LogConsumer> {
    return Promise.reject(new Error('not used'));
  }
  pendingBytes(): number {
    return 0;
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

const rec = (key: string, value: string): LogRecord => ({ key, value: Buffer.from(value) });

test('records of a key past its per-second limit go to the overflow topic with spread keys', async () => {
  const inner = new RecordingLog();
  let now = 10_000;
  let redirected = 0;
  const log = new HotKeyRouter(inner, { recordsPerSecond: 2, now: () => now, onRedirect: (n) => (redirected += n) });
  await log.append(Topics.events, [rec('p:hot', '1'), rec('p:hot', '2'), rec('p:cold', 'c'), rec('p:hot', '3')]);
  await log.append(Topics.events, [rec('p:hot', '4')]);
  const byTopic = (t: Topic) => inner.appended.filter((a) => a.topic === t);
  assert.deepEqual(byTopic(Topics.events).map((a) => a.value), ['1', '2', 'c']);
  const overflow = byTopic(Topics.overflow);
  assert.deepEqual(overflow.map((a) => a.value), ['3', '4']);
  assert.equal(new Set(overflow.map((a) => a.key)).size, 2, 'each overflowed record gets its own key');
  assert.ok(overflow.every((a) => a.key.startsWith('p:hot#')));
  assert.equal(redirected, 2);

  now += 1000;
  await log.append(Topics.events, [rec('p:hot', '5')]);
  assert.equal(inner.appended.at(-1)?.topic, Topics.events, 'the limit resets each second');
  await log.append(Topics.dlq, [rec('p:hot', 'x'), rec('p:hot', 'y'), rec('p:hot', 'z')]);
  assert.equal(byTopic(Topics.dlq).length, 3, 'other topics are never redirected');
});
