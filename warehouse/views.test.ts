import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ChdbWarehouse } from './chdb-warehouse.ts';
import { eventRow, openStore, sqlDir } from './fixtures.ts';

const viewsDir = join(sqlDir, 'views');

/** A view file's documented example: the indented lines after `-- Example`. */
function exampleOf(text: string): string | undefined {
  const lines = text.split('\n');
  const start = lines.findIndex((line) => /^--\s*Example/.test(line));
  if (start < 0) return undefined;
  const example: string[] = [];
  for (const line of lines.slice(start + 1)) {
    const match = /^-- {3}(.*)$/.exec(line);
    if (!match) break;
    example.push(match[1] ?? '');
  }
  return example.join('\n').replace(/;\s*$/, '');
}

describe('analyst views in sql/views', () => {
  let wh: ChdbWarehouse;
  let close: () => Promise<void>;
  before(async () => {
    ({ wh, close } = await openStore('p'));
  });
  after(() => close());

  it('each is created by the migration runner, documented, and its example query runs', async () => {
    const files = (await readdir(viewsDir)).filter((name) => name.endsWith('.sql'));
    assert.ok(files.length > 0);
    const created = new Set(
      (await wh.query<{ name: string }>("SELECT name FROM system.tables WHERE database = currentDatabase() AND engine = 'View'")).map((r) => r.name),
    );
    for (const file of files) {
      const text = await readFile(join(viewsDir, file), 'utf8');
      const view = file.replace(/\.sql$/, '');
      assert.ok(created.has(view), `${file} creates the view ${view}`);
      assert.match(text, new RegExp(`^-- ${view}: `), `${file} opens with a header naming what it answers`);
      const example = exampleOf(text);
      assert.ok(example?.includes(view), `${file} has an example query reading ${view}`);
      await wh.query(example);
    }
  });

  it('funnel_conversions counts people through ordered steps within the window', async () => {
    const t = Date.now() - 3_600_000;
    const step = (user_id: string, name: string, ms: number) => eventRow({ project_id: 'p', user_id, name, kind: 'track', ts: t + ms });
    await wh.insert('events', [
      step('a', 'view', 0), step('a', 'cart', 10), step('a', 'buy', 20), // converts
      step('b', 'view', 0), step('b', 'buy', 5), step('b', 'cart', 10), // out of order: reaches cart only
      step('c', 'view', 0), step('c', 'cart', 0), // same millisecond: no chain
      step('d', 'view', 0), step('d', 'cart', 1000), step('d', 'buy', 61_000), // buy outside a 60 s window
    ]);
    const rows = await wh.query<{ step: number; event: string; people: string; step_conversion_rate: number }>(
      `SELECT step, event, people, step_conversion_rate FROM funnel_conversions(steps = ['view', 'cart', 'buy'], window_seconds = 60,
         from = {from:DateTime64(3, 'UTC')}, to = {to:DateTime64(3, 'UTC')}) WHERE project_id = 'p' ORDER BY step`,
      { from: new Date(t).toISOString().replace('T', ' ').replace('Z', ''), to: new Date(t + 86_400_000).toISOString().replace('T', ' ').replace('Z', '') },
    );
    assert.deepEqual(rows.map((r) => [r.step, r.event, Number(r.people)]), [[1, 'view', 4], [2, 'cart', 3], [3, 'buy', 1]]);
  });
});
