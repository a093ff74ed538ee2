import { attachmentsContract } from './attachments-contract.ts';
import { openPglite } from './db.ts';

// PGlite in memory: the embedded engine, a fresh store per `open`.
attachmentsContract('PGlite', () => openPglite());
