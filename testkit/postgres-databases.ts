import { after, before } from 'node:test';
import { openPostgres, type ControlDb } from '@strix/control';
import { startPostgres, type PostgresEngine } from './engines/postgres.ts';

/**
 * One Debian PostgreSQL server for a test file (started before its tests,
 * stopped after), and a function that opens a database of its own on it per
 * call: for contract suites that expect a fresh store from each `open`.
 */
export function postgresDatabasePerOpen(prefix: string): () => Promise<ControlDb> {
  let engine: PostgresEngine | undefined;
  let admin: ControlDb | undefined;
  let databases = 0;
  before(async () => {
    engine = await startPostgres();
    admin = await openPostgres(engine.url, { maxConnections: 1 });
  }, { timeout: 300_000 });
  after(async () => {
    await admin?.close();
    await engine?.stop();
  });
  return async () => {
    if (!engine || !admin) throw new Error('the PostgreSQL server did not start');
    const name = `${prefix}_${++databases}`;
    await admin.exec(`CREATE DATABASE ${name}`);
    const url = new URL(engine.url);
    url.pathname = `/${name}`;
    return openPostgres(url.href);
  };
}
