import { postgresDatabasePerOpen } from '@strix/testkit/postgres-databases';
import { controlPlaneContract } from './control-plane-contract.ts';

// One Debian PostgreSQL server for the file; each `open` gets a database of its own on it.
controlPlaneContract('PostgreSQL server', postgresDatabasePerOpen('contract'));
