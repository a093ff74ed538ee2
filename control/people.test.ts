import { openPglite } from './db.ts';
import { peopleContract } from './people-contract.ts';

// PGlite in memory: the embedded engine, a fresh store per `open`.
peopleContract('PGlite', () => openPglite());
