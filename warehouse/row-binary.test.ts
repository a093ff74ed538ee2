import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClient } from '@clickhouse/client';
import { WarehouseError } from '@strix/contracts';
import { startClickHouseStandIn, type ClickHouseStandIn } from '@strix/testkit/clickhouse-server';
import { ClickHouseWarehouse } from './clickhouse-warehouse.ts';
import { queryEvents } from './events.ts';
import { migrate, sqlDir } from './migrate.ts';
import { compileType, RowBinaryTableEncoder, RowBinaryValueError, RowBinaryWriter, rowGroups, UnsupportedTypeError } from './row-binary.ts';
import { contractRow } from './warehouse-contract.ts';

function hexOf(type: string, value: unknown): string {
  const w = new RowBinaryWriter(16);
  compileType(type, 'UTC')(w, value);
  return w.done().toString('hex');
}

const le64 = (v: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(v);
  return b.toString('hex');
};

describe('RowBinary value encoding', () => {
  const cases: [type: string, value: unknown, hex: string][] = [
    ['String', 'ab', '026162'],
    ['String', 'é', '02c3a9'],
    ['String', 'x'.repeat(200), `c801${'78'.repeat(200)}`],
    ['String', 'é'.repeat(50), `64${'c3a9'.repeat(50)}`],
    ['String', undefined, '00'],
    ['FixedString(4)', 'ab', '61620000'],
    ['LowCardinality(String)', 'ab', '026162'],
    ['Nullable(UInt8)', null, '01'],
    ['Nullable(UInt8)', 5, '0005'],
    ['LowCardinality(Nullable(String))', undefined, '01'],
    ['Bool', true, '01'],
    ['Bool', undefined, '00'],
    ['UInt8', 255, 'ff'],
    ['UInt16', 0x1234, '3412'],
    ['UInt32', 0xdeadbeef, 'efbeadde'],
    ['UInt64', 2 ** 40 + 1, '0100000000010000'],
    ['UInt64', 2n ** 64n - 1n, 'ffffffffffffffff'],
    ['UInt64', '18446744073709551615', 'ffffffffffffffff'],
    ['Int8', -1, 'ff'],
    ['Int16', -2, 'feff'],
    ['Int32', -3, 'fdffffff'],
    ['Int64', -1, 'ffffffffffffffff'],
    ['Int64', -(2 ** 40) - 5, le64(-(2n ** 40n) - 5n)],
    ['Int64', -(2n ** 63n), '0000000000000080'],
    ['Float32', 1.5, '0000c03f'],
    ['Float64', 1.5, '000000000000f83f'],
    ["Enum8('debug' = 1, 'info' = 2)", 'info', '02'],
    ["Enum8('debug' = 1, 'info' = 2)", undefined, '01'],
    ["Enum16('it\\'s' = -1000, 'b' = 1000)", "it's", '18fc'],
    ["DateTime('UTC')", 1_700_000_000_123, '00f15365'],
    ["DateTime('UTC')", '2023-11-14T22:13:20Z', '00f15365'],
    ["DateTime('UTC')", '2023-11-14 23:13:20+01:00', '00f15365'],
    ["DateTime('UTC')", '2023-11-14 22:13:20', '00f15365'],
    ["DateTime('Europe/Paris')", '2023-11-14 23:13:20', '00f15365'],
    ["DateTime64(3, 'UTC')", 1_700_000_000_123, le64(1_700_000_000_123n)],
    ["DateTime64(3, 'UTC')", '2023-11-14T22:13:20.123Z', le64(1_700_000_000_123n)],
    ["DateTime64(6, 'UTC')", '2023-11-14T22:13:20.123456Z', le64(1_700_000_000_123_456n)],
    ["DateTime64(6, 'UTC')", 1_700_000_000_123, le64(1_700_000_000_123_000n)],
    ["DateTime64(0, 'UTC')", 1_700_000_000_999, le64(1_700_000_000n)],
    ['Date', '2024-01-02', '0c4d'],
    ['Date', Date.UTC(2024, 0, 2, 15), '0c4d'],
    ['Date32', '1969-12-31', 'ffffffff'],
    ['UUID', '61f0c404-5cb3-11e7-907b-a6006ad3dba0', 'e711b35c04c4f061a0dbd36a00a67b90'],
    ['Array(UInt8)', [1, 2], '020102'],
    ['Array(Nullable(UInt8))', [null, 3], '02010003'],
    ['Array(String)', undefined, '00'],
    ['Map(String, UInt8)', { a: 1 }, '01016101'],
    ['Map(String, UInt8)', new Map([['a', 1]]), '01016101'],
    ['Map(UInt16, String)', { 7: 'x' }, '01070001' + '78'],
    ['Tuple(String, UInt8)', ['a', 1], '016101'],
    ['Tuple(a String, b Nullable(UInt8))', { a: 'x', b: null }, '017801'],
  ];
  for (const [type, value, hex] of cases) {
    it(`${type} ← ${typeof value === 'string' && value.length > 30 ? `${value.slice(0, 8)}…` : String(value)}`, () => {
      assert.equal(hexOf(type, value), hex);
    });
  }

  it('refuses values a type cannot hold, without echoing them', () => {
    const refused: [string, unknown][] = [
      ['UInt8', 256], ['UInt8', -1], ['Int8', 128], ['UInt32', 1.5], ['UInt64', -1], ['Int64', 2n ** 63n],
      ['FixedString(2)', 'abc'], ['Bool', 'yes'], ['String', { a: 1 }], ["DateTime64(3, 'UTC')", 'SECRET-not-a-time'],
      ["DateTime('UTC')", -1000], ['Date', '1960-01-01'], ['UUID', 'SECRET'], ['Array(UInt8)', 'SECRET'],
    ];
    for (const [type, value] of refused) {
      assert.throws(() => hexOf(type, value), (e: Error) => e instanceof RowBinaryValueError && !/SECRET/.test(e.message), `${type} ← ${String(value)}`);
    }
  });

  it('names an unknown enum value, and nothing else of the row', () => {
    const encoder = new RowBinaryTableEncoder([{ name: 'message', type: 'String' }, { name: 'level', type: "Enum8('info' = 2)" }]);
    assert.throws(() => encoder.encode(['message', 'level'], [{ message: 'SECRET', level: 'fatal' }]), {
      message: "column 'level' (Enum8('info' = 2)): unknown value 'fatal'",
    });
  });

  it('reports types it cannot write instead of guessing', () => {
    for (const type of ['Decimal(10, 2)', 'Int128', 'IPv4', 'JSON', 'Array(Variant(String, UInt8))', "DateTime('Mars/Olympus')"]) {
      assert.throws(() => compileType(type), UnsupportedTypeError, type);
    }
    const encoder = new RowBinaryTableEncoder([{ name: 'a', type: 'UInt8' }, { name: 'd', type: 'Decimal(10, 2)' }]);
    assert.deepEqual(encoder.unsupported(['a']), []);
    assert.equal(encoder.unsupported(['a', 'd']).length, 1);
  });

  it('writes a header of names and types before the rows', () => {
    const encoder = new RowBinaryTableEncoder([{ name: 'a', type: 'UInt8' }, { name: 's', type: 'String' }]);
    assert.equal(encoder.encode(['a'], [{ a: 5 }, { a: 6 }]).toString('hex'), `01 0161 055549 6e7438 05 06`.replace(/ /g, ''));
  });

  it('takes the column list from the rows, one group per set of keys in order of first appearance', () => {
    const same = [{ a: 1, b: 2 }, { a: 3, b: 4 }];
    assert.deepEqual(rowGroups(same), [{ columns: ['a', 'b'], rows: same }]);
    assert.deepEqual(rowGroups([{ a: 1, b: 2 }, { c: 1 }, { b: 3, a: 4 }, { a: 5 }]), [
      { columns: ['a', 'b'], rows: [{ a: 1, b: 2 }, { b: 3, a: 4 }] },
      { columns: ['c'], rows: [{ c: 1 }] },
      { columns: ['a'], rows: [{ a: 5 }] },
    ]);
  });
});

describe('ClickHouseWarehouse inserts as RowBinary (HTTP → Strix endpoint on chDB)', () => {
  let server: ClickHouseStandIn;
  let wh: ClickHouseWarehouse;
  const warnings: string[] = [];

  before(async () => {
    server = await startClickHouseStandIn('rb');
    wh = new ClickHouseWarehouse({ url: server.url, pathname: '/clickhouse', username: 'admin', password: 'rb', onWarning: (m) => warnings.push(m) });
    await migrate(wh, sqlDir);
  });
  after(async () => {
    await wh.close();
    await server.close();
  });

  it('round-trips every supported type, with defaults for what rows omit', async () => {
    await wh.command(`CREATE TABLE rb_types (
      s String, fs FixedString(4), lc LowCardinality(String), ns Nullable(String), lcn LowCardinality(Nullable(String)),
      b Bool, u8 UInt8, u16 UInt16, u32 UInt32, u64 UInt64, i8 Int8, i16 Int16, i32 Int32, i64 Int64, f32 Float32, f64 Float64,
      e8 Enum8('a' = 1, 'b' = 2), e16 Enum16('x' = -1000, 'y' = 1000), dt DateTime('UTC'), dt_paris DateTime('Europe/Paris'),
      dt64 DateTime64(3, 'UTC'), dt64_6 DateTime64(6, 'UTC'), d Date, d32 Date32, id UUID,
      arr Array(Nullable(Int32)), nested Array(Array(String)), m Map(String, UInt64), m_lc Map(LowCardinality(String), Array(String)),
      t Tuple(String, UInt8), tn Tuple(name String, n Nullable(Float64)), dflt String DEFAULT concat('d-', s)
    ) ENGINE = MergeTree ORDER BY tuple()`);
    const full = {
      s: 'héllo "quoted"\n', fs: 'ab', lc: 'low', ns: 'set', lcn: null, b: true, u8: 255, u16: 65535, u32: 4294967295, u64: 2n ** 64n - 1n,
      i8: -128, i16: -32768, i32: -2147483648, i64: -(2n ** 63n), f32: 1.5, f64: -0.1, e8: 'b', e16: 'x',
      dt: 1_700_000_000_000, dt_paris: '2023-11-14 23:13:20', dt64: 1_700_000_000_123, dt64_6: '2023-11-14T22:13:20.123456Z',
      d: '2024-01-02', d32: '1900-01-01', id: '61f0c404-5cb3-11e7-907b-a6006ad3dba0', arr: [1, null, -3], nested: [['a'], [], ['b', 'c']],
      m: { k: 1, big: '18446744073709551615' }, m_lc: { x: ['1', '2'] }, t: ['t', 7], tn: { name: 'n', n: 2.5 },
    };
    // Listed columns with undefined values take their type's default; `dflt`, not listed, its DEFAULT expression.
    const sparse = Object.fromEntries(Object.keys(full).map((k) => [k, undefined]));
    await wh.insert('rb_types', [full, { ...full, s: 'second' }]);
    await wh.insert('rb_types', [sparse]);
    const rows = await wh.query<Record<string, unknown>>(
      `SELECT * EXCEPT (dt_paris), toString(dt_paris) AS paris_wall, toUnixTimestamp(dt_paris) AS paris_epoch FROM rb_types ORDER BY s DESC`,
    );
    assert.deepEqual(rows, [
      {
        s: 'second', fs: 'ab\0\0', lc: 'low', ns: 'set', lcn: null, b: true, u8: 255, u16: 65535, u32: 4294967295, u64: '18446744073709551615',
        i8: -128, i16: -32768, i32: -2147483648, i64: '-9223372036854775808', f32: 1.5, f64: -0.1, e8: 'b', e16: 'x',
        dt: '2023-11-14 22:13:20', dt64: '2023-11-14 22:13:20.123', dt64_6: '2023-11-14 22:13:20.123456', d: '2024-01-02', d32: '1900-01-01',
        id: '61f0c404-5cb3-11e7-907b-a6006ad3dba0', arr: [1, null, -3], nested: [['a'], [], ['b', 'c']],
        m: { k: '1', big: '18446744073709551615' }, m_lc: { x: ['1', '2'] }, t: ['t', 7], tn: { name: 'n', n: 2.5 },
        dflt: 'd-second', paris_wall: '2023-11-14 23:13:20', paris_epoch: 1700000000,
      },
      {
        s: 'héllo "quoted"\n', fs: 'ab\0\0', lc: 'low', ns: 'set', lcn: null, b: true, u8: 255, u16: 65535, u32: 4294967295, u64: '18446744073709551615',
        i8: -128, i16: -32768, i32: -2147483648, i64: '-9223372036854775808', f32: 1.5, f64: -0.1, e8: 'b', e16: 'x',
        dt: '2023-11-14 22:13:20', dt64: '2023-11-14 22:13:20.123', dt64_6: '2023-11-14 22:13:20.123456', d: '2024-01-02', d32: '1900-01-01',
        id: '61f0c404-5cb3-11e7-907b-a6006ad3dba0', arr: [1, null, -3], nested: [['a'], [], ['b', 'c']],
        m: { k: '1', big: '18446744073709551615' }, m_lc: { x: ['1', '2'] }, t: ['t', 7], tn: { name: 'n', n: 2.5 },
        dflt: 'd-héllo "quoted"\n', paris_wall: '2023-11-14 23:13:20', paris_epoch: 1700000000,
      },
      {
        s: '', fs: '\0\0\0\0', lc: '', ns: null, lcn: null, b: false, u8: 0, u16: 0, u32: 0, u64: '0', i8: 0, i16: 0, i32: 0, i64: '0',
        f32: 0, f64: 0, e8: 'a', e16: 'x', dt: '1970-01-01 00:00:00', dt64: '1970-01-01 00:00:00.000', dt64_6: '1970-01-01 00:00:00.000000',
        d: '1970-01-01', d32: '1970-01-01', id: '00000000-0000-0000-0000-000000000000', arr: [], nested: [], m: {}, m_lc: {},
        t: ['', 0], tn: { name: '', n: null }, dflt: 'd-', paris_wall: '1970-01-01 01:00:00', paris_epoch: 0,
      },
    ]);
    await wh.insert('rb_types', [{ s: 'omitted' }]);
    assert.deepEqual(await wh.query("SELECT dflt FROM rb_types WHERE s = 'omitted'"), [{ dflt: 'd-omitted' }]);
  });

  it('stores events rows exactly as the JSONEachRow path does', async () => {
    await wh.command('CREATE TABLE events_json AS events');
    const rows = Array.from({ length: 50 }, (_, i) =>
      contractRow(i, { project_id: 'rb', level: (['debug', 'info', 'warn', 'error'] as const)[i % 4], attributes: { i: String(i), 'ü': 'ñ' }, message: i % 7 ? '' : 'x'.repeat(300) }),
    );
    await wh.insert('events', rows, { dedupToken: 'rb:events:0-49' });
    await wh.insert('events', rows, { dedupToken: 'rb:events:0-49' });
    // The JSONEachRow path, sent by the ClickHouse client itself with the settings the adapter's JSON fallback uses.
    const json = createClient({ url: server.url, pathname: '/clickhouse', username: 'admin', password: 'rb' });
    try {
      await json.insert({ table: 'events_json', values: rows, format: 'JSONEachRow', clickhouse_settings: { date_time_input_format: 'best_effort' } });
    } finally {
      await json.close();
    }
    // inserted_at is the engine's clock at each insert, so it is the one column the two paths cannot share.
    const all = "SELECT * EXCEPT (inserted_at) FROM {t:Identifier} WHERE project_id = 'rb' ORDER BY event_id";
    const binary = await wh.query(all, { t: 'events' });
    assert.equal(binary.length, 50, 'the retried insert with the same token was dropped');
    assert.deepEqual(binary, await wh.query(all, { t: 'events_json' }));
    const stored = await queryEvents(wh, { projectId: 'rb', fromMs: 0, toMs: Date.now() + 3_600_000, isDev: false }, 100);
    assert.deepEqual(
      stored.sort((a, b) => a.event_id.localeCompare(b.event_id)),
      rows
        // The explorer's row leaves out the storage and grouping columns; a row sent without a kind is a log.
        .map(({ project_id: _p, retention_days: _r, log_topic: _t, log_partition: _lp, log_offset: _lo, grouping_config: _g, fingerprint_previous: _fp, exception_type: _e, culprit: _c, stack_frames: _s, ...rest }) => ({ kind: 'log', ...rest }))
        .sort((a, b) => a.event_id.localeCompare(b.event_id)),
    );
  });

  it('picks up a migration between inserts: a changed type and a new column', async () => {
    await wh.command('CREATE TABLE rb_migrating (id UInt32, n UInt8) ENGINE = MergeTree ORDER BY id');
    await wh.insert('rb_migrating', [{ id: 1, n: 1 }]);
    await wh.command('ALTER TABLE rb_migrating MODIFY COLUMN n UInt64');
    await wh.insert('rb_migrating', [{ id: 2, n: 2n ** 40n }]);
    await wh.command("ALTER TABLE rb_migrating ADD COLUMN tag LowCardinality(String) DEFAULT 'none'");
    await wh.insert('rb_migrating', [{ id: 3, n: 3, tag: 'new' }]);
    // Every value still fits the cached types: only the server's check of the header's types notices.
    await wh.command('ALTER TABLE rb_migrating MODIFY COLUMN tag String');
    await wh.insert('rb_migrating', [{ id: 4, n: 4, tag: 'after' }]);
    assert.deepEqual(await wh.query('SELECT id, n, tag FROM rb_migrating ORDER BY id'), [
      { id: 1, n: '1', tag: 'none' },
      { id: 2, n: '1099511627776', tag: 'none' },
      { id: 3, n: '3', tag: 'new' },
      { id: 4, n: '4', tag: 'after' },
    ]);
    const unknown = await wh.insert('rb_migrating', [{ id: 4, nope: 1 }]).then(() => undefined, (e: unknown) => e);
    assert.ok(unknown instanceof WarehouseError && /'nope'/.test(unknown.message) && !unknown.retry);
    await assert.rejects(wh.insert('rb_absent', [{ id: 1 }]), { name: 'WarehouseError', message: /table rb_absent does not exist/ });
  });

  it('falls back to JSONEachRow for a table with a type it cannot write, warning once', async () => {
    await wh.command('CREATE TABLE rb_decimal (id UInt32, amount Decimal(10, 2)) ENGINE = MergeTree ORDER BY id');
    await wh.insert('rb_decimal', [{ id: 1, amount: 1.25 }]);
    await wh.insert('rb_decimal', [{ id: 2, amount: 2.5 }]);
    await wh.insert('rb_decimal', [{ id: 3 }]); // only encodable columns: RowBinary
    assert.deepEqual(await wh.query('SELECT id, toString(amount) AS amount FROM rb_decimal ORDER BY id'), [
      { id: 1, amount: '1.25' },
      { id: 2, amount: '2.5' },
      { id: 3, amount: '0' },
    ]);
    assert.equal(warnings.filter((w) => w.includes('rb_decimal')).length, 1);
  });

  it('fails clearly, without row data, on bad rows; a row that leaves a column out gets its default', async () => {
    const enumError = await wh.insert('events', [contractRow(1, { level: 'fatal' as 'info', message: 'SECRET' })]).then(() => undefined, (e: unknown) => e);
    assert.ok(enumError instanceof WarehouseError && !enumError.retry);
    assert.match(enumError.message, /insert into events failed: column 'level' .*unknown value 'fatal'/);
    assert.doesNotMatch(enumError.message, /SECRET/);
    const noMessage = Object.fromEntries(Object.entries(contractRow(2, { project_id: 'keys' })).filter(([k]) => k !== 'message'));
    await wh.insert('events', [contractRow(1, { project_id: 'keys' }), noMessage]);
    const stored = await wh.query<{ event_id: string; message: string }>("SELECT event_id, message FROM events WHERE project_id = 'keys' ORDER BY event_id");
    assert.deepEqual(stored, [{ event_id: 'e1', message: 'm1' }, { event_id: 'e2', message: '' }]);
  });
});
