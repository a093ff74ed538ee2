import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChdbWarehouse } from './chdb-warehouse.ts';
import { describeWarehouseContract } from './warehouse-contract.ts';

describeWarehouseContract('ChdbWarehouse (embedded chDB)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'strix-wh-'));
  return {
    warehouse: new ChdbWarehouse(join(dir, 'chdb')),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});
