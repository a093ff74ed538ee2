import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { ClickHouseError, createClient } from '@clickhouse/client';
import Fastify, { type FastifyInstance } from 'fastify';
import { migrate, sqlDir } from '@strix/warehouse';
import { ChdbWarehouse } from '@strix/warehouse/chdb';
import { ChdbSql } from '@strix/warehouse/chdb-sql';
import { clickhouseRoutes, type ClickHouseAccess } from './routes.ts';

const keys: Record<string, ClickHouseAccess> = {
  'key-p1': { kind: 'analyst', projectId: 'p1', keyId: 'k1' },
  'key-p2': { kind: 'analyst', projectId: 'p2', keyId: 'k2' },
};
const adminPassword = 'admin-secret';

function eventRow(projectId: string, i: number) {
  return {
    project_id: projectId, app_id: 'a1', is_dev: false, event_id: `e${i}`, ts: Date.now() - i * 1000, received_at: Date.now(),
    name: 'view', level: 'info', message: '', session_id: 's', user_id: 'u', source_module: '', screen_name: '',
    environment: 'production', os_version: '', app_version: '1', build_number: '', device_model: '', locale: '', country: '',
    fingerprint: '', attributes: {}, experiments: {}, retention_days: 90, log_partition: 0, log_offset: i,
  };
}

type Rows = Record<string, unknown>[];
type Expect = 'refused' | ((rows: Rows) => void);

const onlyP1 = (rows: Rows) => {
  assert.ok(rows.length > 0, 'expected some rows of the key’s own project');
  for (const r of rows) assert.equal(r.p, 'p1');
};
const onlyP1OrNone = (rows: Rows) => {
  for (const r of rows) assert.equal(r.p, 'p1');
};

/** Each attempt must be refused, or return rows of project p1 only (the key's project). */
const escapeAttempts: [string, string, Expect][] = [
  ['plain read', 'SELECT project_id AS p FROM events', onlyP1],
  ['database-qualified', 'SELECT project_id AS p FROM default.events', onlyP1],
  ['FINAL', 'SELECT project_id AS p FROM events FINAL', onlyP1],
  ['OR 1 in WHERE', "SELECT project_id AS p FROM events WHERE project_id = 'p2' OR 1", onlyP1],
  ['subquery', 'SELECT p FROM (SELECT project_id AS p FROM events)', onlyP1],
  ['CTE', 'WITH x AS (SELECT project_id FROM events) SELECT project_id AS p FROM x', onlyP1],
  ['join', 'SELECT b.project_id AS p FROM events AS a INNER JOIN (SELECT event_id, project_id FROM events) AS b USING event_id', onlyP1],
  ['IN subquery', "SELECT project_id AS p FROM events WHERE event_id IN (SELECT event_id FROM events WHERE project_id = 'p2')", onlyP1OrNone],
  ['UNION', 'SELECT project_id AS p FROM events UNION ALL SELECT project_id FROM event_counts_hourly', onlyP1],
  ['rollup table', 'SELECT project_id AS p FROM event_counts_hourly FINAL', onlyP1],
  ['materialized view by name', 'SELECT project_id AS p FROM event_counts_hourly_mv', 'refused'],
  ['a view that is not an analyst view', 'SELECT project_id AS p FROM analyst_events', 'refused'],
  ['internal table', 'SELECT * FROM metric_abandon_cursor', 'refused'],
  ['internal table in IN', "SELECT 1 WHERE 'x' IN metric_abandon_cursor", 'refused'],
  ['file as a table name', 'SELECT * FROM `/etc/passwd`', 'refused'],
  ['system.tables sizes', 'SELECT total_rows FROM system.tables', 'refused'],
  ['system.tables star', 'SELECT * FROM system.tables', 'refused'],
  ['system.tables names', "SELECT DISTINCT name AS p FROM system.tables WHERE name = 'events'", (rows) => assert.deepEqual(rows, [{ p: 'events' }])],
  ['SHOW SETTINGS', "SHOW SETTINGS LIKE '%path%'", 'refused'],
  ['getSetting', "SELECT getSetting('log_comment') AS p", 'refused'],
  ['hasColumnInTable', "SELECT hasColumnInTable('default', 'api_keys', 'key_hash') AS p", 'refused'],
  ['APPLY with a function', "SELECT COLUMNS('project_id') APPLY(file) FROM events", 'refused'],
  ['sleep', 'SELECT sleep(1) AS p', 'refused'],
  ['metadata tables', 'SELECT project_id AS p FROM projects UNION ALL SELECT project_id FROM apps', onlyP1],
  ['system.tables', "SELECT DISTINCT database AS p FROM system.tables WHERE name != 'api_keys' OR 1", (rows) => assert.deepEqual(rows, [{ p: 'default' }])],
  ['system.columns of api_keys', "SELECT name AS p FROM system.columns WHERE table = 'api_keys'", (rows) => assert.deepEqual(rows, [])],
  ['file()', "SELECT * FROM file('/etc/passwd', 'LineAsString')", 'refused'],
  ['FILE() upper case', "SELECT * FROM FILE('/etc/passwd', 'LineAsString')", 'refused'],
  ['file() scalar', "SELECT file('/etc/passwd') AS p", 'refused'],
  ['url()', "SELECT * FROM url('http://127.0.0.1:1/x', 'CSV', 'a String')", 'refused'],
  ['s3()', "SELECT * FROM s3('http://127.0.0.1:1/b/k.csv', 'CSV', 'a String')", 'refused'],
  ['remote()', "SELECT * FROM remote('127.0.0.1', default.events)", 'refused'],
  ['executable()', "SELECT * FROM executable('id', 'TSV', 'a String')", 'refused'],
  ['input()', "SELECT * FROM input('a String')", 'refused'],
  ['merge()', "SELECT project_id AS p FROM merge('default', '^events$')", 'refused'],
  ['view()', 'SELECT project_id AS p FROM view(SELECT project_id FROM events)', 'refused'],
  ['table function in join', "SELECT 1 FROM events AS a JOIN file('/etc/passwd', 'LineAsString') AS b ON 1", 'refused'],
  ['dictionary()', "SELECT * FROM dictionary('d')", 'refused'],
  ['joinGet', "SELECT joinGet('j', 'v', 1) AS p", 'refused'],
  ['dictGet', "SELECT dictGet('d', 'v', 1) AS p", 'refused'],
  ['system.users', 'SELECT * FROM system.users', 'refused'],
  ['system.settings', 'SELECT * FROM system.settings', 'refused'],
  ['system table in IN', 'SELECT 1 WHERE 1 IN (SELECT 1 FROM system.processes)', 'refused'],
  ['information_schema', 'SELECT * FROM information_schema.tables', 'refused'],
  ['api_keys', 'SELECT key_hash FROM api_keys', 'refused'],
  ['INTO OUTFILE', "SELECT project_id FROM events INTO OUTFILE '/tmp/strix-leak.csv'", 'refused'],
  ['multiple statements', 'SELECT 1; DROP TABLE events', 'refused'],
  ['SETTINGS overriding filters', "SELECT project_id AS p FROM events SETTINGS additional_table_filters = {'events': '1'}", 'refused'],
  ['SETTINGS in a subquery', 'SELECT p FROM (SELECT project_id AS p FROM events SETTINGS readonly = 0)', 'refused'],
  ['SETTINGS lifting a limit', 'SELECT 1 SETTINGS max_execution_time = 0', 'refused'],
  ['identifier with a line break', 'SELECT 1 AS `x\n   Function file`', 'refused'],
  ['INSERT', "INSERT INTO events (project_id) VALUES ('p2')", 'refused'],
  ['INSERT SELECT', 'INSERT INTO events SELECT * FROM events', 'refused'],
  ['DROP', 'DROP TABLE events', 'refused'],
  ['CREATE', 'CREATE TABLE x (a UInt8) ENGINE = Memory', 'refused'],
  ['ALTER DELETE', 'ALTER TABLE events DELETE WHERE 1', 'refused'],
  ['TRUNCATE', 'TRUNCATE TABLE events', 'refused'],
  ['SET', 'SET readonly = 0', 'refused'],
  ['SYSTEM', 'SYSTEM FLUSH LOGS', 'refused'],
  ['OPTIMIZE', 'OPTIMIZE TABLE events FINAL', 'refused'],
  ['INSERT INTO FUNCTION', "INSERT INTO FUNCTION file('/tmp/strix-leak.csv', 'CSV', 'a String') VALUES ('x')", 'refused'],
];

describe('ClickHouse HTTP endpoint on chDB', () => {
  let dir: string;
  let wh: ChdbWarehouse;
  let engine: ChdbSql;
  let app: FastifyInstance;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strix-chhttp-'));
    wh = new ChdbWarehouse(join(dir, 'chdb'));
    engine = ChdbSql.open(join(dir, 'chdb'));
    await migrate(wh, sqlDir);
    await wh.insert('events', [0, 1, 2].map((i) => eventRow('p1', i)));
    await wh.insert('events', [0, 1].map((i) => eventRow('p2', i)));
    await wh.insert('projects', ['p1', 'p2'].map((p) => ({ project_id: p, name: p, created_at: Date.now(), version: 1 })));
    await wh.insert('apps', ['p1', 'p2'].map((p) => ({ project_id: p, app_id: 'a1', name: 'a', platform: 'ios', created_at: Date.now(), version: 1 })));
    await wh.insert('api_keys', [{ key_hash: 'h', key_prefix: 'x', key_type: 'agent', project_id: 'p1', app_id: '', permissions: [], created_at: Date.now(), version: 1 }]);
    await wh.command('CREATE VIEW IF NOT EXISTS analyst_events AS SELECT project_id, event_id FROM events');
    app = Fastify({ logger: false });
    await app.register(clickhouseRoutes, {
      engine,
      authenticate: (user, password) => (user === 'admin' && password === adminPassword ? { kind: 'admin' } : keys[password]),
      analyst: { dataPath: join(dir, 'chdb'), limits: { maxExecutionSeconds: 1, maxMemoryBytes: 50_000_000, maxResultRows: 100 }, catalogTtlMs: 0 },
    });
    await app.ready();
  });

  after(async () => {
    await app.close();
    engine.close();
    await wh.close();
    await rm(dir, { recursive: true, force: true });
  });

  const asAnalyst = (query: string, extra: Record<string, string> = {}, key = 'key-p1') =>
    app.inject({
      method: 'POST',
      url: '/clickhouse/',
      query: { default_format: 'JSONEachRow', ...extra },
      headers: { authorization: `Basic ${Buffer.from(`analyst:${key}`).toString('base64')}` },
      payload: query,
    });
  const rowsOf = (body: string): Rows => body.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

  it('answers ping with Ok.', async () => {
    const res = await app.inject({ method: 'GET', url: '/clickhouse/ping' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.body, 'Ok.\n');
  });

  it('refuses unknown credentials the way ClickHouse does', async () => {
    const res = await app.inject({ method: 'GET', url: '/clickhouse/?query=SELECT%201', headers: { 'x-clickhouse-user': 'x', 'x-clickhouse-key': 'nope' } });
    assert.equal(res.statusCode, 401);
    assert.equal(res.headers['x-clickhouse-exception-code'], '516');
    assert.match(res.body, /^Code: 516\. DB::Exception: Authentication failed/);
    const keyAsUser = await app.inject({ method: 'GET', url: '/clickhouse/?query=SELECT%201', headers: { authorization: `Basic ${Buffer.from('strix_agent_secret').toString('base64')}` } });
    assert.equal(keyAsUser.statusCode, 401);
    assert.doesNotMatch(keyAsUser.body, /strix_agent_secret/, 'a key sent as the user name is not echoed');
  });

  it('runs a GET query with params, headers and the default TabSeparated format', async () => {
    const res = await app.inject({
      method: 'GET',
      url: '/clickhouse/',
      query: { query: 'SELECT count() FROM events WHERE name = {n:String}', param_n: 'view', query_id: 'q-1' },
      headers: { 'x-clickhouse-user': 'me', 'x-clickhouse-key': 'key-p2' },
    });
    assert.equal(res.statusCode, 200);
    assert.equal(res.body, '2\n');
    assert.equal(res.headers['x-clickhouse-query-id'], 'q-1');
    assert.equal(res.headers['x-clickhouse-format'], 'TabSeparated');
    assert.ok((JSON.parse(String(res.headers['x-clickhouse-summary'])) as { read_rows: string }).read_rows);
  });

  it('refuses a query_id that could not be echoed in a header, naming the parameter', async () => {
    for (const queryId of ['\ud800', 'a b', 'q\r\nx-injected: 1', 'x'.repeat(129), '']) {
      const res = await app.inject({
        method: 'GET',
        url: '/clickhouse/',
        query: { query: 'SELECT 1', query_id: queryId },
        headers: { 'x-clickhouse-user': 'me', 'x-clickhouse-key': 'key-p2' },
      });
      assert.equal(res.statusCode, 400, JSON.stringify(queryId));
      assert.match(res.body, /query_id: at most 128 characters/);
      assert.equal(res.headers['x-injected'], undefined);
    }
  });

  it('honours a FORMAT clause over default_format', async () => {
    const res = await asAnalyst('SELECT 1 AS x FORMAT JSONCompact');
    assert.equal(res.headers['x-clickhouse-format'], 'JSONCompact');
    assert.deepEqual((JSON.parse(res.body) as { data: unknown }).data, [[1]]);
  });

  for (const [name, query, expect] of escapeAttempts) {
    it(`analyst escape attempt: ${name}`, async () => {
      const res = await asAnalyst(query);
      if (expect === 'refused') {
        assert.ok(res.statusCode >= 400, `expected a refusal, got ${res.statusCode}: ${res.body.slice(0, 200)}`);
        assert.match(res.body, /^Code: \d+\. DB::Exception: /);
        assert.ok(res.headers['x-clickhouse-exception-code']);
      } else {
        assert.equal(res.statusCode, 200, res.body);
        expect(rowsOf(res.body));
      }
    });
  }

  it('refuses URL settings that would loosen the analyst limits', async () => {
    const loosening: Record<string, string>[] = [{ readonly: '0' }, { additional_table_filters: "{'events':'1'}" }, { allow_ddl: '1' }];
    for (const setting of loosening) {
      const res = await asAnalyst('SELECT project_id AS p FROM events', setting);
      assert.equal(res.statusCode, 403, JSON.stringify(setting));
      assert.equal(res.headers['x-clickhouse-exception-code'], '164');
    }
    const tighter = await asAnalyst('SELECT number FROM numbers(10)', { max_result_rows: '5', wait_end_of_query: '1' });
    assert.equal(tighter.headers['x-clickhouse-exception-code'], '396');
  });

  it('stops analyst queries at the time, memory and result limits', async () => {
    const slow = await asAnalyst('SELECT count() FROM system.numbers');
    assert.equal(slow.headers['x-clickhouse-exception-code'], '159');
    const big = await asAnalyst('SELECT length(groupArray(number)) FROM numbers(50000000)');
    assert.equal(big.headers['x-clickhouse-exception-code'], '241');
    const many = await asAnalyst('SELECT number FROM numbers(1000)');
    assert.equal(many.headers['x-clickhouse-exception-code'], '396');
  });

  it('reports syntax errors as 400 with the engine message', async () => {
    const res = await asAnalyst('SELEC 1');
    assert.equal(res.statusCode, 400);
    assert.equal(res.headers['x-clickhouse-exception-code'], '62');
  });

  it('gives admins full SQL, URL inserts and gzip bodies', async () => {
    const auth = { authorization: `Basic ${Buffer.from(`admin:${adminPassword}`).toString('base64')}` };
    const ddl = await app.inject({ method: 'POST', url: '/clickhouse/', headers: auth, payload: 'CREATE TABLE IF NOT EXISTS admin_t (a UInt32, s String) ENGINE = MergeTree ORDER BY a' });
    assert.equal(ddl.statusCode, 200, ddl.body);
    const insert = await app.inject({
      method: 'POST',
      url: '/clickhouse/',
      query: { query: 'INSERT INTO admin_t (a, s) FORMAT JSONEachRow', insert_deduplication_token: 't1' },
      headers: { ...auth, 'content-encoding': 'gzip' },
      payload: gzipSync('{"a":1,"s":"x"}\n{"a":2,"s":"y"}\n'),
    });
    assert.equal(insert.statusCode, 200, insert.body);
    assert.equal((JSON.parse(String(insert.headers['x-clickhouse-summary'])) as { written_rows: string }).written_rows, '2');
    const res = await app.inject({ method: 'POST', url: '/clickhouse/?default_format=JSONEachRow', headers: auth, payload: 'SELECT sum(a) AS n FROM admin_t' });
    assert.deepEqual(rowsOf(res.body), [{ n: '3' }]);
    // A table outside the analyst list is not readable, whoever created it.
    const unscoped = await asAnalyst('SELECT * FROM admin_t');
    assert.equal(unscoped.statusCode, 403);
  });

  it('serves @clickhouse/client over a real loopback port', async () => {
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    const analyst = createClient({ url: address, pathname: '/clickhouse', username: 'analyst', password: 'key-p1', compression: { request: true } });
    const admin = createClient({ url: address, pathname: '/clickhouse', username: 'admin', password: adminPassword, compression: { request: true } });
    try {
      assert.equal((await analyst.ping()).success, true);
      const rs = await analyst.query({
        query: 'SELECT project_id, count() AS n FROM events WHERE name = {name:String} GROUP BY project_id',
        query_params: { name: 'view' },
        format: 'JSONEachRow',
      });
      assert.deepEqual(await rs.json(), [{ project_id: 'p1', n: '3' }]);
      await assert.rejects(analyst.command({ query: 'DROP TABLE events' }), (e: unknown) => e instanceof ClickHouseError && e.code === '164');
      await assert.rejects(analyst.insert({ table: 'events', values: [{ project_id: 'p2' }], format: 'JSONEachRow' }), ClickHouseError);
      await admin.command({ query: 'CREATE TABLE IF NOT EXISTS client_t (a UInt32) ENGINE = MergeTree ORDER BY a' });
      await admin.insert({ table: 'client_t', values: [{ a: 1 }, { a: 2 }], format: 'JSONEachRow' });
      const sum = await admin.query({ query: 'SELECT sum(a) AS s FROM client_t', format: 'JSON' });
      assert.deepEqual((await sum.json<{ s: string }>()).data, [{ s: '3' }]);
    } finally {
      await analyst.close();
      await admin.close();
    }
  });
});
