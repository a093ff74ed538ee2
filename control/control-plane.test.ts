import { controlPlaneContract } from './control-plane-contract.ts';
import { openPglite } from './db.ts';

// PGlite in memory: the embedded engine, a fresh store per `open`.
controlPlaneContract('PGlite', () => openPglite());
