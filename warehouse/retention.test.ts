import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventRow } from '@strix/testkit/rows';
import { openStore } from '@strix/testkit/stores';
import type { ChdbWarehouse } from './chdb-warehouse.ts';
import { deleteProjectData, projectTables } from './retention.ts';

describe('purging a project from the warehouse', () => {
  let wh: ChdbWarehouse;
  let close: () => Promise<void>;
  before(async () => {
    ({ wh, close } = await openStore('gone'));
  });
  after(() => close());

  it('lists every table that has a project_id column', async () => {
    const tables = await wh.query<{ table: string }>(
      "SELECT DISTINCT table FROM system.columns WHERE database = currentDatabase() AND name = 'project_id' AND table NOT IN (SELECT name FROM system.tables WHERE database = currentDatabase() AND engine IN ('View', 'MaterializedView', 'Null'))",
    );
    assert.deepEqual(tables.map((t) => t.table).sort(), [...projectTables].sort());
  });

  it("deletes the project's rows, those its views derived included, and leaves other projects' alone", async () => {
    const rows = (project: string) => Array.from({ length: 20 }, (_, i) => eventRow({ project_id: project, event_id: `${project}-${i}`, name: 'signup', user_id: `u${i}`, level: i % 2 ? 'error' : 'info' }));
    await wh.insert('events', [...rows('gone'), ...rows('kept')]);
    const count = async (table: string, project: string) =>
      Number((await wh.query<{ n: string }>(`SELECT count() AS n FROM ${table} WHERE project_id = {p:String}`, { p: project }))[0]!.n);
    assert.ok((await count('event_counts_hourly', 'gone')) > 0, 'the views derived rows from the events');

    const deleted = await deleteProjectData(wh, 'gone');
    assert.equal(deleted.events, 20);
    for (const table of projectTables) assert.equal(await count(table, 'gone'), 0, `${table} still holds the purged project's rows`);
    assert.equal(await count('events', 'kept'), 20);
    assert.ok((await count('event_counts_hourly', 'kept')) > 0);
    assert.deepEqual(await deleteProjectData(wh, 'gone'), {}, 'a re-run deletes nothing');
  });
});
