// Test support for the SQL endpoint's security suites: a store with two projects in every readable table.
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { migrate } from '@strix/warehouse';
import { ChdbWarehouse } from '@strix/warehouse/chdb';
import { analystReadableTables } from '@strix/warehouse/chdb-engine';
import { ChdbSql } from '@strix/warehouse/chdb-sql';
import { eventRow } from '@strix/testkit/rows';
import { sqlDir } from '@strix/warehouse';
import { clickhouseRoutes, type ClickHouseAccess } from './routes.ts';
import type { AnalystQueryOptions } from './analyst-queries.ts';

/** What the other project's rows carry in every text column: it must never reach project p1's key. */
export const secret = 'SECRET-OF-P2';
export const keys: Record<string, ClickHouseAccess> = {
  'key-p1': { kind: 'analyst', projectId: 'p1', keyId: 'k1' },
  'key-p2': { kind: 'analyst', projectId: 'p2', keyId: 'k2' },
};

export interface SecurityStore {
  dir: string;
  dataPath: string;
  /** A directory no query may write into; suites check that it stays empty. */
  trap: string;
  wh: ChdbWarehouse;
  engine: ChdbSql;
  app: FastifyInstance;
  /** Readable tables (not views) and the plain text columns of each. */
  tables: Map<string, string[]>;
  close(): Promise<void>;
  filesUnder(dir: string): Promise<string[]>;
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

/**
 * Events of both projects through every materialized view, then, for each
 * readable table the views do not fill, rows of both projects with every text
 * column set; finally every table is merged, so each part holds both projects.
 */
export async function openSecurityStore(analyst: Partial<Omit<AnalystQueryOptions, 'dataPath' | 'trusted'>> = {}): Promise<SecurityStore> {
  const dir = await mkdtemp(join(tmpdir(), 'strix-security-'));
  const trap = join(dir, 'trap');
  await mkdir(trap);
  const dataPath = join(dir, 'chdb');
  const wh = new ChdbWarehouse(dataPath);
  await migrate(wh, sqlDir);
  const now = Date.now();
  for (const [project, text] of [['p1', 'own-p1'], ['p2', secret]] as const) {
    const rows = [];
    for (let i = 0; i < 40; i++) {
      const kind = (['log', 'track', 'metric'] as const)[i % 3];
      rows.push({
        ...eventRow({ project_id: project, name: `${text}-${i % 4}`, message: `${text} ${i}`, user_id: `${text}-user-${i % 5}`, session_id: `${text}-s${i % 7}`, ts: now - i * 60_000 }),
        level: i % 5 === 0 ? 'error' : 'info', kind, screen_name: `/${text}`, metric_phase: kind === 'metric' ? 'record' : '', metric_value: i,
        user_set: { plan: text }, experiments: { exp: text }, attributes: { note: text },
      });
    }
    await wh.insert('events', rows);
  }
  const columns = await wh.query<{ table: string; name: string; type: string; kind: string }>(
    `SELECT c.table AS table, c.name AS name, c.type AS type, t.engine AS kind FROM system.columns AS c
     INNER JOIN system.tables AS t ON t.database = c.database AND t.name = c.table
     WHERE c.database = currentDatabase() ORDER BY c.table, c.position`,
  );
  const tables = new Map<string, string[]>();
  for (const c of columns) {
    if (!analystReadableTables.has(c.table) || !c.kind.includes('MergeTree')) continue;
    const text = tables.get(c.table) ?? [];
    if (/^(LowCardinality\()?String\)?$/.test(c.type) && c.name !== 'project_id') text.push(c.name);
    tables.set(c.table, text);
  }
  for (const [table, text] of tables) {
    const [{ n } = { n: '0' }] = await wh.query<{ n: string }>(`SELECT count() AS n FROM ${table}`);
    if (Number(n) > 0) continue;
    const list = ['project_id', ...text].join(', ');
    for (const [project, value] of [['p1', 'own-p1'], ['p2', secret]]) {
      const values = [`'${project}'`, ...text.map(() => `'${value}'`)].join(', ');
      await wh.command(`INSERT INTO ${table} (${list}) SELECT ${values} FROM numbers(40)`);
    }
  }
  for (const table of tables.keys()) await wh.command(`OPTIMIZE TABLE ${table} FINAL`);
  const engine = ChdbSql.open(dataPath);
  const app = Fastify({ logger: false });
  await app.register(clickhouseRoutes, { engine, authenticate: (_user, password) => keys[password], analyst: { dataPath, catalogTtlMs: 60_000, ...analyst } });
  await app.ready();
  return {
    dir, dataPath, trap, wh, engine, app, tables, filesUnder,
    async close() {
      await app.close();
      engine.close();
      await wh.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** One analyst query through the endpoint, as an HTTP client would send it. */
export function analystQuery(app: FastifyInstance, sql: string, query: Record<string, string> = {}, key = 'key-p1') {
  return app.inject({
    method: 'POST',
    url: '/clickhouse/',
    query: { default_format: 'TSV', ...query },
    headers: { authorization: `Basic ${Buffer.from(`analyst:${key}`).toString('base64')}` },
    payload: sql,
  });
}
