import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventRow } from '@strix/testkit/rows';
import { openStore } from '@strix/testkit/stores';
import type { ChdbWarehouse } from './chdb-warehouse.ts';
import type { EventRow } from './events.ts';
import { recordOccurrences } from './issue-occurrences.ts';
import {
  approximatePersonTables,
  countPersonRows,
  deletePersonData,
  exportPersonRows,
  personRowsAsNdjson,
  personTables,
  type PersonRow,
} from './people-data.ts';

const minute = 60_000;

/** What one person does in one project: analytics with properties, screens, errors (with and without a session) and metrics. */
function personEvents(project: string, user: string, start: number): EventRow[] {
  const at = (i: number) => start + i * minute;
  const base = { project_id: project, user_id: user, session_id: `${project}-${user}-s1` };
  return [
    eventRow({ ...base, kind: 'track', name: 'signup', ts: at(0), screen_name: '/welcome', user_set: { plan: 'free', email: `${user}@example.com` }, user_set_once: { source: 'ad' } }),
    eventRow({ ...base, kind: 'track', name: '$screen', ts: at(1), screen_name: '/home' }),
    eventRow({ ...base, kind: 'track', name: 'upgrade', ts: at(2), user_set: { plan: 'pro' } }),
    eventRow({ ...base, name: 'error', level: 'error', ts: at(3), fingerprint: 'fp-crash', message: 'Boom' }),
    eventRow({ ...base, session_id: '', name: 'error', level: 'error', ts: at(4), fingerprint: 'fp-crash', message: 'Boom' }),
    eventRow({ ...base, kind: 'metric', name: 'load', metric_phase: 'record', metric_value: 120, ts: at(5) }),
  ];
}

/** The columns of a person table's exported row that hold the user id. */
const userOf: Record<string, (row: Record<string, unknown>) => unknown> = {
  events: (r) => r.user_id,
  funnel_events: (r) => r.user_id,
  user_properties: (r) => r.user_id,
  issue_occurrences: (r) => r.user_id,
  audience_people: (r) => r.person_key,
};

async function collect<T>(rows: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const row of rows) all.push(row);
  return all;
}

describe("a person's data", () => {
  let wh: ChdbWarehouse;
  let close: () => Promise<void>;
  const start = Date.now() - 2 * 86_400_000;
  const seeded = new Map<string, EventRow[]>();

  const sum = async (sql: string, project: string) => Number((await wh.query<{ n: string }>(sql, { p: project }))[0]!.n);
  // What the uniq-state rollups hold: kept as they were by a person delete.
  const approximateTotals = async (project: string) => ({
    audienceEvents: await sum('SELECT sum(events) AS n FROM audience_daily WHERE project_id = {p:String}', project),
    audiencePeople: await sum('SELECT uniqMerge(people) AS n FROM audience_daily WHERE project_id = {p:String}', project),
    metricUsers: await sum("SELECT uniqMerge(users) AS n FROM metric_rollup_hours WHERE project_id = {p:String} AND breakdown = ''", project),
  });

  before(async () => {
    ({ wh, close } = await openStore('p1', 'p2'));
    for (const project of ['p1', 'p2']) {
      const rows = [...personEvents(project, 'user-a', start), ...personEvents(project, 'user-b', start + 30_000)];
      // An anonymous visitor: only a session, never a person's row.
      rows.push(eventRow({ project_id: project, user_id: '', session_id: `${project}-anon`, kind: 'track', name: 'signup', ts: start, screen_name: '/welcome' }));
      seeded.set(project, rows);
      // As the processors insert a batch: one call, one deduplication token, every materialized view firing.
      await wh.insert('events', rows, { dedupToken: `events:${project}:0` });
      // As the issue scan records a window's occurrences.
      await recordOccurrences(wh, { projectId: project, from: 0, to: Date.now() + minute }, 4, 5_000);
    }
  });
  after(() => close());

  it('lists every table with a user column, as a person table or an approximate one', async () => {
    // A user id, a person key or hash, or people inside a uniq state; counts (issue_stats.users, *_people UInt64) are not people.
    const tables = await wh.query<{ table: string }>(
      `SELECT DISTINCT table FROM system.columns
       WHERE database = currentDatabase()
         AND (((name ILIKE '%user%' OR name ILIKE '%person%' OR name ILIKE '%people%') AND NOT match(type, '^U?Int(8|16|32|64)$'))
              OR type LIKE 'AggregateFunction(uniq%')
         AND table NOT IN (SELECT name FROM system.tables WHERE database = currentDatabase() AND engine IN ('View', 'MaterializedView', 'Null'))`,
    );
    const listed = [...personTables.map((t) => t.table), ...Object.keys(approximatePersonTables)];
    assert.deepEqual(tables.map((t) => t.table).sort(), listed.sort());

    const columns = await wh.query<{ table: string; name: string }>('SELECT table, name FROM system.columns WHERE database = currentDatabase()');
    for (const { table, userColumns } of personTables) {
      for (const column of userColumns) assert.ok(columns.some((c) => c.table === table && c.name === column), `${table}.${column} does not exist`);
    }
  });

  it("exports every row about the person from every person table, and nothing of anyone else's", async () => {
    const rows = await collect(exportPersonRows(wh, 'p1', 'user-a'));
    const byTable = new Map<string, PersonRow[]>();
    for (const r of rows) byTable.set(r.table, [...(byTable.get(r.table) ?? []), r]);
    for (const { table } of personTables) assert.ok((byTable.get(table)?.length ?? 0) > 0, `the export has no ${table} row`);
    for (const { table, row } of rows) {
      assert.equal(userOf[table]!(row), 'user-a', `${table} exported another person's row`);
      if ('project_id' in row) assert.equal(row.project_id, 'p1', `${table} exported another project's row`);
    }

    const events = byTable.get('events')!.map((r) => r.row);
    const expected = seeded.get('p1')!.filter((e) => e.user_id === 'user-a');
    assert.deepEqual(events.map((e) => e.event_id).sort(), expected.map((e) => e.event_id).sort());
    const signup = events.find((e) => e.name === 'signup')!;
    assert.deepEqual(signup.user_set, { plan: 'free', email: 'user-a@example.com' });
    assert.match(String(signup.ts), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, 'times are ISO 8601 UTC');
    // Metric points are in events only; the funnel's and audience's views leave them out.
    assert.equal(byTable.get('funnel_events')!.length, expected.filter((e) => e.kind !== 'metric').length);
    assert.match(String(byTable.get('funnel_events')![0]!.row.person_id), /^\d{30,}$/, 'a 128-bit hash keeps every digit');

    const properties = new Map(byTable.get('user_properties')!.map(({ row }) => [String(row.key), row]));
    assert.deepEqual([...properties.keys()].sort(), ['email', 'plan', 'source']);
    assert.equal(properties.get('plan')!.latest_set, 'pro');
    assert.equal(properties.get('source')!.first_set_once, 'ad');

    // Both errors of the person: one in their session, one a burst without a session.
    assert.deepEqual(byTable.get('issue_occurrences')!.map((r) => String(r.row.session_key).replace(/:\d+$/, '')).sort(), ['burst:user-a', 'p1-user-a-s1']);
  });

  it('writes the same rows as NDJSON, one line each', async () => {
    const text = (await collect(personRowsAsNdjson(wh, 'p1', 'user-a'))).join('');
    assert.ok(text.endsWith('\n'));
    const lines = text.trimEnd().split('\n').map((line) => JSON.parse(line) as PersonRow);
    assert.deepEqual(lines, await collect(exportPersonRows(wh, 'p1', 'user-a')));
    assert.ok(!text.includes('user-b'));
  });

  it('deletes the person from every person table, leaves other people and projects alone, and a re-run does nothing', async () => {
    const before = await countPersonRows(wh, 'p1', 'user-a');
    const others = { b: await countPersonRows(wh, 'p1', 'user-b'), elsewhere: await countPersonRows(wh, 'p2', 'user-a') };
    const anonymous = await sum("SELECT count() AS n FROM funnel_events WHERE project_id = {p:String} AND user_id = ''", 'p1');
    const approximate = await approximateTotals('p1');

    const deleted = await deletePersonData(wh, 'p1', 'user-a');
    assert.deepEqual(deleted, before, 'every row counted was deleted, table by table');
    for (const { table } of personTables) assert.ok(before[table] > 0, `${table} had no row to delete`);

    assert.deepEqual(Object.values(await countPersonRows(wh, 'p1', 'user-a')), personTables.map(() => 0));
    assert.deepEqual(await collect(exportPersonRows(wh, 'p1', 'user-a')), []);
    const values = await wh.query("SELECT * FROM user_property_values WHERE project_id = 'p1' AND user_id = 'user-a'");
    assert.deepEqual(values, [], 'the properties view reads the deleted states no more');

    assert.deepEqual(await countPersonRows(wh, 'p1', 'user-b'), others.b);
    assert.deepEqual(await countPersonRows(wh, 'p2', 'user-a'), others.elsewhere);
    assert.equal(await sum("SELECT count() AS n FROM funnel_events WHERE project_id = {p:String} AND user_id = ''", 'p1'), anonymous);
    assert.deepEqual(await approximateTotals('p1'), approximate, 'uniq states keep counting the person');

    assert.deepEqual(await deletePersonData(wh, 'p1', 'user-a'), {}, 'a re-run deletes nothing');
  });

  it('stores an event that arrives after the delete, and a second delete removes it', async () => {
    await wh.insert('events', [eventRow({ project_id: 'p1', user_id: 'user-a', kind: 'track', name: 'late', session_id: 'late', user_set: { plan: 'team' } })], {
      dedupToken: 'events:p1:1',
    });
    const late = await countPersonRows(wh, 'p1', 'user-a');
    assert.deepEqual([late.events, late.funnel_events, late.user_properties, late.audience_people], [1, 1, 1, 1]);

    assert.deepEqual(await deletePersonData(wh, 'p1', 'user-a'), { events: 1, funnel_events: 1, user_properties: 1, audience_people: 1 });
    assert.deepEqual(Object.values(await countPersonRows(wh, 'p1', 'user-a')), personTables.map(() => 0));
  });

  it('refuses an empty user id, which would name every anonymous row', async () => {
    await assert.rejects(deletePersonData(wh, 'p1', ''), RangeError);
    await assert.rejects(collect(exportPersonRows(wh, 'p1', '')), RangeError);
    assert.ok((await sum("SELECT count() AS n FROM events WHERE project_id = {p:String} AND user_id = ''", 'p1')) > 0);
  });
});
