import { postgresDatabasePerOpen } from '@strix/testkit/postgres-databases';
import { attachmentsContract } from './attachments-contract.ts';

// The same suite on Debian's PostgreSQL server, where racing reservations hold separate connections;
// each `open` gets a database of its own on it.
attachmentsContract('PostgreSQL server', postgresDatabasePerOpen('attachments'));
