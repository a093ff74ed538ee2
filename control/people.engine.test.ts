import { after, before } from 'node:test';
import { startPostgres, type PostgresEngine } from '@strix/testkit/postgres';
import { openPostgres } from './db.ts';
import { peopleContract } from './people-contract.ts';

// The same suite on Debian's PostgreSQL server: parameter typing and row locks as a distributed install runs them.
let engine: PostgresEngine | undefined;
before(async () => {
  engine = await startPostgres();
}, { timeout: 300_000 });
after(() => engine?.stop());

peopleContract('PostgreSQL server', async () => {
  if (!engine) throw new Error('the PostgreSQL server did not start');
  return openPostgres(engine.url);
});
