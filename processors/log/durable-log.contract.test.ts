import { describeLogContract } from '../log-contract.ts';
import { openDurableLog } from './durable-log.ts';
import { tempDir } from '@strix/testkit/temp-dir';

describeLogContract('DurableLog', async (t) => {
  const dir = await tempDir(t);
  return { partitions: 1, open: () => openDurableLog({ dir }) };
});
