import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ChdbWarehouse } from './chdb-warehouse.ts';
import { eventRow } from '@strix/testkit/rows';
import { openStore } from '@strix/testkit/stores';
import { sqlDir } from './migrate.ts';

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
      await wh.query(example ?? '');
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

  it('active_users and retention_cohorts agree with the events they summarize', async () => {
    const day = 86_400_000;
    const today = Math.floor(Date.now() / day) * day;
    const active = (user_id: string, daysAgo: number) =>
      eventRow({ project_id: 'q', user_id, session_id: `${user_id}-${daysAgo}`, name: 'open', kind: 'track', ts: today - daysAgo * day + 3_600_000 });
    // a: 20, 10 and 0 days ago; b: 3 days ago and today; c: today only (new). A metric point is no activity.
    await wh.insert('events', [active('a', 20), active('a', 10), active('a', 0), active('b', 3), active('b', 0), active('c', 0)]);
    await wh.insert('events', [eventRow({ project_id: 'q', user_id: 'm', kind: 'metric', name: 'load', ts: today })]);
    const [row] = await wh.query<Record<string, string | number>>(
      `SELECT dau, wau, mau, new_people, returning_people, sessions FROM active_users WHERE project_id = 'q' AND day = today()`,
    );
    assert.deepEqual(Object.fromEntries(Object.entries(row ?? {}).map(([k, v]) => [k, Number(v)])), {
      dau: 3, wau: 3, mau: 3, new_people: 1, returning_people: 2, sessions: 3,
    });
    const [tenDaysAgo] = await wh.query<{ dau: string; wau: string; mau: string }>(
      `SELECT dau, wau, mau FROM active_users WHERE project_id = 'q' AND day = today() - 10`,
    );
    assert.deepEqual([tenDaysAgo?.dau, tenDaysAgo?.wau, tenDaysAgo?.mau].map(Number), [1, 1, 1]);

    const cohorts = await wh.query<{ cohort_week: string; week_number: number; cohort_size: string; people: string }>(
      `SELECT toString(cohort_week) AS cohort_week, week_number, cohort_size, people FROM retention_cohorts
       WHERE project_id = 'q' ORDER BY cohort_week, week_number`,
    );
    const monday = (ms: number) => {
      const d = new Date(ms);
      return new Date(ms - ((d.getUTCDay() + 6) % 7) * day).toISOString().slice(0, 10);
    };
    const expected = new Map<string, Map<number, Set<string>>>();
    const firstSeen = { a: 20, b: 3, c: 0 } as Record<string, number>;
    const activity: [string, number][] = [['a', 20], ['a', 10], ['a', 0], ['b', 3], ['b', 0], ['c', 0]];
    for (const [user, daysAgo] of activity) {
      const cohort = monday(today - (firstSeen[user] ?? 0) * day + 3_600_000);
      const week = Math.floor((Date.parse(monday(today - daysAgo * day + 3_600_000)) - Date.parse(cohort)) / (7 * day));
      const weeks = expected.get(cohort) ?? new Map<number, Set<string>>();
      weeks.set(week, (weeks.get(week) ?? new Set()).add(user));
      expected.set(cohort, weeks);
    }
    const flat = [...expected].sort().flatMap(([cohort, weeks]) =>
      [...weeks].sort((x, y) => x[0] - y[0]).map(([week, users]) => [cohort, week, weeks.get(0)?.size, users.size]),
    );
    assert.deepEqual(cohorts.map((c) => [c.cohort_week, c.week_number, Number(c.cohort_size), Number(c.people)]), flat);
  });

  it('metric_rollups finalizes the hourly states', async () => {
    const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000;
    const point = (fields: Parameters<typeof eventRow>[0]) => eventRow({ kind: 'metric', name: 'upload', ts: hour + 60_000, ...fields });
    await wh.insert('events', [
      ...[100, 200, 300, 400].map((duration_ms, i) => point({ project_id: 'm', user_id: `u${i % 2}`, metric_phase: 'complete', duration_ms })),
      point({ project_id: 'm', user_id: 'u2', metric_phase: 'fail', duration_ms: 50 }),
      point({ project_id: 'm', user_id: 'u2', metric_phase: 'start' }),
      point({ project_id: 'm', name: 'cart.size', metric_phase: 'record', metric_value: 5 }),
    ]);
    const rows = await wh.query<Record<string, unknown>>(
      `SELECT name, completes, fails, starts, success_rate, duration_avg_ms, users, value_sum
       FROM metric_rollups WHERE project_id = 'm' ORDER BY name`,
    );
    assert.deepEqual(
      rows.map((r) => [r.name, Number(r.completes), Number(r.fails), Number(r.starts), r.success_rate, r.duration_avg_ms, Number(r.users), r.value_sum]),
      [['cart.size', 0, 0, 0, null, null, 1, 5], ['upload', 4, 1, 1, 0.8, 250, 3, 0]],
    );
  });
});
