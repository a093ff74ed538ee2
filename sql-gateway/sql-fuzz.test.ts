/**
 * Property-based fuzzing of /clickhouse with an analyst key: SQL assembled from
 * the engine's own vocabulary (every table, function and setting name, file
 * paths, lone surrogates, clauses that write or change settings) and arbitrary
 * URL parameters. Whatever arrives: no 5xx, an error in ClickHouse's format, no
 * request left hanging, nothing written to disk, and never a byte of the other
 * project. `STRIX_SQL_FUZZ_RUNS` sets the number of cases (CI: 10,000).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { analystQuery, openSecurityStore, secret, type SecurityStore } from './security-fixture.ts';

const runs = Number(process.env.STRIX_SQL_FUZZ_RUNS ?? 10_000);

describe('the SQL endpoint under generated queries', { timeout: 900_000 }, () => {
  let store: SecurityStore;
  let vocabulary: { tables: string[]; functions: string[]; settings: string[] };

  before(async () => {
    store = await openSecurityStore({ maxConcurrentPerKey: 64, maxConcurrent: 64, limits: { maxExecutionSeconds: 2 } });
    const names = async (sql: string) => (await store.wh.query<{ name: string }>(sql)).map((r) => r.name);
    vocabulary = {
      tables: [
        ...(await names('SELECT name FROM system.tables WHERE database = currentDatabase()')),
        ...(await names("SELECT concat('system.', name) AS name FROM system.tables WHERE database = 'system'")),
      ],
      functions: await names('SELECT name FROM system.functions'),
      settings: await names('SELECT name FROM system.settings'),
    };
  });
  after(async () => store?.close());

  it(`answers ${runs} generated queries without a 5xx, a hang, a file or a leak`, async () => {
    const trapPath = join(store.trap, 'x');
    const literal = fc.oneof(
      fc.constantFrom(`'${trapPath}'`, "'http://127.0.0.1:9/'", "'\ud800'", "'p2'", '1', '-1', '1e308', 'NULL', "'%'", '[1,2]', '(1, 2)'),
      fc.string({ maxLength: 12 }).map((s) => `'${s.replace(/[\\']/g, '')}'`),
    );
    const token = fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom('SELECT', 'FROM', 'WHERE', 'PREWHERE', 'GROUP BY', 'ORDER BY', 'LIMIT 5', 'JOIN', 'ON', 'USING', 'UNION ALL', 'WITH', 'AS', 'IN', 'AND', 'OR', 'NOT', '(', ')', ',', '*', '=', '!=', '+', '||', 'FINAL', 'SETTINGS', 'FORMAT', 'INTO OUTFILE', 'SET', 'SHOW', 'DESCRIBE', 'EXISTS', 'INSERT INTO', 'VALUES', 'ARRAY JOIN', 'APPLY', 'COLUMNS', '->', ';', '::String', 'project_id', 'message', 'user_id', 'count()', 'x', '`a\nb`') },
      { weight: 2, arbitrary: fc.constantFrom(...vocabulary.tables) },
      { weight: 2, arbitrary: fc.constantFrom(...vocabulary.functions).chain((f) => literal.map((arg) => `${f}(${arg})`)) },
      { weight: 1, arbitrary: fc.constantFrom(...vocabulary.settings).chain((s) => literal.map((v) => `${s} = ${v}`)) },
      { weight: 2, arbitrary: literal },
    );
    const sql = fc.oneof(
      { weight: 6, arbitrary: fc.array(token, { minLength: 1, maxLength: 14 }).map((t) => t.join(' ')) },
      { weight: 3, arbitrary: fc.tuple(fc.constantFrom(...vocabulary.tables), fc.array(token, { maxLength: 6 })).map(([t, rest]) => `SELECT * FROM ${t} ${rest.join(' ')}`) },
      { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
    );
    const params = fc.dictionary(
      fc.oneof(fc.constantFrom(...vocabulary.settings), fc.constantFrom('default_format', 'database', 'query_id', 'param_x', 'user', 'password'), fc.string({ maxLength: 10 })),
      fc.oneof(literal, fc.string({ maxLength: 20 })),
      { maxKeys: 3 },
    );
    // Cases are drawn up front and sent eight at a time: each waits mostly on the engine, not the CPU.
    const cases = fc.sample(fc.tuple(sql, params), { numRuns: runs });
    const statuses: Record<number, number> = {};
    const check = async ([query, urlParams]: [string, Record<string, string>]) => {
      const res = await Promise.race([
        analystQuery(store.app, query, urlParams),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer in 20 s for ${JSON.stringify(query)}`)), 20_000)),
      ]);
      statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
      assert.ok(res.statusCode < 500, `${res.statusCode} for ${JSON.stringify(query)} ${JSON.stringify(urlParams)}: ${res.body.slice(0, 300)}`);
      if (res.statusCode >= 400) assert.match(res.body, /^Code: \d+\. DB::Exception: /, JSON.stringify(query));
      assert.ok(!res.body.includes(secret), `p2's rows reached p1 for ${JSON.stringify(query)}`);
    };
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < cases.length) {
          const item = cases[next++];
          if (item) await check(item);
        }
      }),
    );
    console.log(`[sql fuzz] ${runs} cases, statuses ${JSON.stringify(statuses)}`);
    assert.deepEqual(await store.filesUnder(store.trap), []);
    const ok = await analystQuery(store.app, 'SELECT 1');
    assert.equal(ok.statusCode, 200, 'still answering');
  });
});
