/**
 * The whole surface of the installed engine, tried through the SQL endpoint
 * with an analyst key: every setting (URL parameter, SETTINGS clause, SET),
 * every function and every table function, with values that name files and
 * URLs under a trap directory. An engine upgrade that adds a setting or a
 * function is covered the day it lands: refused unless someone lists it.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { analystReadableTables } from '@strix/warehouse/chdb-engine';
import { clientSettableNames } from './analyst-settings.ts';
import { aggregateCombinators, allowedFunctionNames } from './function-allowlist.ts';
import { httpOnlySettings } from './request.ts';
import { analystQuery, openSecurityStore, type SecurityStore } from './security-fixture.ts';

/** Categories of `system.functions` that reach files, models, dictionaries, the network or the server. */
const refusedCategories = new Set(['Dictionary', 'Embedded Dictionary', 'Introspection', 'Machine Learning', 'AI', 'Internal']);
const stillAllowedInternal = new Set(['_CAST', 'caseWithExpression']);

describe('the engine surface an analyst key can reach', { timeout: 600_000 }, () => {
  let store: SecurityStore;
  let trapFile: string;
  const counts: Record<string, number> = {};

  before(async () => {
    store = await openSecurityStore();
    trapFile = join(store.trap, 'written');
  });
  after(async () => {
    console.log(`[security] tried ${JSON.stringify(counts)}`);
    await store?.close();
  });

  const assertTrapEmpty = async () => assert.deepEqual(await store.filesUnder(store.trap), [], 'a query wrote a file');

  it('refuses every setting but the listed output settings, by URL, SETTINGS and SET, and no file appears', async () => {
    const settings = await store.wh.query<{ name: string }>('SELECT name FROM system.settings ORDER BY name');
    const allowed = new Set(clientSettableNames);
    let accepted = 0;
    for (const { name } of settings) {
      for (const value of [trapFile, `file://${trapFile}`, 'http://127.0.0.1:9/x', '0']) {
        const byUrl = await analystQuery(store.app, 'SELECT 1', { [name]: value });
        if (byUrl.statusCode === 200) {
          // HTTP-only settings steer the response (compression, progress headers) and never reach the engine.
          assert.ok(allowed.has(name) || httpOnlySettings.has(name), `setting ${name}=${value} was accepted by URL`);
          if (allowed.has(name)) accepted++;
        } else {
          assert.ok(byUrl.statusCode >= 400 && byUrl.statusCode < 500, `${name}: ${byUrl.statusCode} ${byUrl.body}`);
        }
      }
      const quoted = `'${trapFile}'`;
      const clause = await analystQuery(store.app, `SELECT 1 SETTINGS ${name} = ${quoted}`);
      assert.ok(clause.statusCode >= 400 && clause.statusCode < 500, `SETTINGS ${name}: ${clause.statusCode} ${clause.body}`);
      const set = await analystQuery(store.app, `SET ${name} = ${quoted}`);
      assert.ok(set.statusCode >= 400 && set.statusCode < 500, `SET ${name}: ${set.statusCode} ${set.body}`);
    }
    counts.settings = settings.length;
    counts.settingRequests = settings.length * 6;
    assert.ok(settings.length > 1000, `the engine lists ${settings.length} settings`);
    assert.ok(accepted < clientSettableNames.length * 4, 'only listed settings with valid values are accepted');
    await assertTrapEmpty();
  });

  it('cannot write a file with a schema setting and a schema-taking format (the reported exploit)', async () => {
    const sql = 'SELECT 1 AS `x; id > /tmp/proof; :` FORMAT Protobuf';
    for (const query of [{ output_format_schema: join(store.trap, 'x.sh') }, { format_schema: join(store.trap, 'x.proto:M') }, {}] as Record<string, string>[]) {
      const res = await analystQuery(store.app, sql, query);
      assert.ok(res.statusCode >= 400 && res.statusCode < 500, `${JSON.stringify(query)}: ${res.statusCode}`);
    }
    const outfile = await analystQuery(store.app, `SELECT 1 INTO OUTFILE '${join(store.trap, 'out.tsv')}'`);
    assert.equal(outfile.statusCode, 403);
    await assertTrapEmpty();
  });

  it('refuses every function not on the list, and no listed function is of a refused kind', async () => {
    const functions = await store.wh.query<{ name: string; categories: string; alias_to: string; is_aggregate: number }>(
      'SELECT name, categories, alias_to, is_aggregate FROM system.functions ORDER BY name',
    );
    const byName = new Map(functions.map((f) => [f.name, f]));
    let refused = 0;
    for (const f of functions) {
      let root = f;
      for (let i = 0; i < 5 && root.alias_to; i++) root = byName.get(root.alias_to) ?? root;
      const listed = allowedFunctionNames.has(f.name);
      if (listed) {
        assert.ok(!refusedCategories.has(root.categories) || stillAllowedInternal.has(root.name), `${f.name} (${root.categories}) is listed`);
        continue;
      }
      const res = await analystQuery(store.app, `SELECT ${/^\w+$/.test(f.name) ? f.name : `\`${f.name}\``}('${trapFile}') FROM events`);
      assert.equal(res.statusCode, 403, `${f.name}: ${res.statusCode} ${res.body.slice(0, 200)}`);
      refused++;
    }
    // Combinators do not smuggle a refused aggregate through.
    for (const suffix of aggregateCombinators) {
      const res = await analystQuery(store.app, `SELECT stochasticLinearRegression${suffix}(1, 2) FROM events`);
      assert.equal(res.statusCode, 403, `stochasticLinearRegression${suffix}`);
    }
    const stale = [...allowedFunctionNames].filter((n) => !byName.has(n));
    assert.deepEqual(stale, [], 'listed functions the engine does not have');
    counts.functions = functions.length;
    counts.functionsRefused = refused;
    await assertTrapEmpty();
  });

  it('refuses every table function but the row generators, with file, URL and table arguments', async () => {
    const tableFunctions = await store.wh.query<{ name: string }>('SELECT name FROM system.table_functions ORDER BY name');
    const generators = new Set(['numbers', 'numbers_mt', 'zeros', 'zeros_mt', 'generate_series', 'generateSeries', 'values', 'primes']);
    for (const { name } of tableFunctions) {
      for (const args of [`'${trapFile}'`, "'http://127.0.0.1:9/x', 'CSV', 'a String'", "'default', 'events'"]) {
        const res = await analystQuery(store.app, `SELECT * FROM ${name}(${args}) LIMIT 1`);
        if (generators.has(name)) assert.ok(res.statusCode < 500, `${name}: ${res.statusCode}`);
        else if (res.statusCode !== 403) assert.match(res.body, /Syntax error/, `${name}(${args}): ${res.statusCode} ${res.body.slice(0, 200)}`);
      }
    }
    counts.tableFunctions = tableFunctions.length;
    await assertTrapEmpty();
  });

  it('hides internal tables, system tables outside the list, sizes and paths, and SHOW forms that read them', async () => {
    const internal = await store.wh.query<{ name: string }>(
      "SELECT name FROM system.tables WHERE database = currentDatabase() AND name NOT IN (SELECT table FROM system.columns WHERE database = currentDatabase() AND name = 'project_id')",
    );
    const hidden = internal.filter((t) => !analystReadableTables.has(t.name));
    assert.ok(hidden.some((t) => t.name === 'metric_abandon_cursor'));
    for (const { name } of hidden) {
      const res = await analystQuery(store.app, `SELECT * FROM ${name}`);
      assert.ok([403, 404].includes(res.statusCode), `${name}: ${res.statusCode}`);
    }
    const listed = await analystQuery(store.app, 'SELECT name FROM system.tables');
    for (const { name } of hidden) assert.doesNotMatch(listed.body, new RegExp(`^${name}$`, 'm'), `${name} is listed`);
    const systemTables = await store.wh.query<{ name: string }>("SELECT name FROM system.tables WHERE database = 'system'");
    const readable = new Set(['one', 'numbers', 'numbers_mt', 'zeros', 'zeros_mt', 'functions', 'data_type_families', 'table_engines', 'time_zones', 'collations', 'keywords', 'formats', 'table_functions', 'aggregate_function_combinators', 'databases', 'tables', 'columns']);
    for (const { name } of systemTables) {
      const res = await analystQuery(store.app, `SELECT * FROM system.${name} LIMIT 1`);
      if (!readable.has(name)) assert.equal(res.statusCode, 403, `system.${name}: ${res.statusCode}`);
    }
    counts.systemTables = systemTables.length;
    for (const sql of ['SELECT total_rows FROM system.tables', 'SELECT data_paths FROM system.tables', 'SELECT t.* FROM system.tables AS t', 'SELECT data_compressed_bytes FROM system.columns']) {
      assert.equal((await analystQuery(store.app, sql)).statusCode, 403, sql);
    }
    for (const sql of ['SHOW SETTINGS', 'SHOW MERGES', 'SHOW DICTIONARIES', 'SHOW PROCESSLIST', 'SHOW USERS', 'SHOW GRANTS', 'SHOW CREATE TABLE metric_abandon_cursor', "SELECT hasColumnInTable('default', 'metric_abandon_cursor', 'id')", "SELECT getSetting('additional_table_filters')"]) {
      const res = await analystQuery(store.app, sql);
      assert.ok(res.statusCode >= 400 && res.statusCode < 500, `${sql}: ${res.statusCode}`);
    }
    const tables = await analystQuery(store.app, 'SHOW TABLES');
    assert.equal(tables.statusCode, 200);
    assert.match(tables.body, /^events$/m);
    assert.doesNotMatch(tables.body, /metric_abandon_cursor|api_keys/);
  });

  it('answers caller mistakes and limits with 4xx, and error text carries neither internals nor the key', async () => {
    for (const [sql, query] of [
      ['SELEC 1', {}],
      ['SELECT nope FROM events', {}],
      ['SELECT 1 FORMAT Null', {}],
      ['SELECT count() FROM numbers(100000000000)', { max_execution_time: '1' }],
      ['SELECT number FROM numbers(10)', { max_result_rows: '2' }],
      ['SELECT toUInt64(message) FROM events', {}],
      ['SELECT 1 FORMAT Nope', {}],
      ['SELECT 1', { default_format: 'Protobuf' }],
    ] as const) {
      const res = await analystQuery(store.app, sql, query);
      assert.ok(res.statusCode < 500, `${sql}: ${res.statusCode} ${res.body.slice(0, 200)}`);
      assert.doesNotMatch(res.body, /log_comment|getSetting|key-p1|splitByChar/, `${sql}: ${res.body.slice(0, 300)}`);
    }
  });
});
