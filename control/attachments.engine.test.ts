import { after, before } from 'node:test';
import { startPostgres, type PostgresEngine } from '@strix/testkit/postgres';
import { attachmentsContract } from './attachments-contract.ts';
import { openPostgres, type ControlDb } from './db.ts';

// The same suite on Debian's PostgreSQL server, where racing reservations hold separate connections.
// One server for the file; each `open` gets a database of its own on it.
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

attachmentsContract('PostgreSQL server', async () => {
  if (!engine || !admin) throw new Error('the PostgreSQL server did not start');
  const name = `attachments_${++databases}`;
  await admin.exec(`CREATE DATABASE ${name}`);
  const url = new URL(engine.url);
  url.pathname = `/${name}`;
  return openPostgres(url.href);
});
