import { Topics } from '@strix/contracts';
import { PipelineThread, defaultPipelineOptions } from '@strix/processors';
import type { RoleContext, RunningRole } from './role.ts';

/**
 * The pipeline: log → parse, dedupe, normalize, group → warehouse, offsets
 * committed after the insert, on a thread of its own (PipelineThread). On
 * Kafka a second pipeline drains the overflow topic.
 */
export async function startProcessRole(ctx: RoleContext): Promise<RunningRole> {
  const { config, warehouse, metrics } = ctx;
  if (!ctx.log) throw new Error('the process role needs a log');
  // Hot keys are only redirected on a partitioned log; the embedded one has no overflow.
  const overflow = config.log.kind === 'kafka' ? [{ ...defaultPipelineOptions, topic: Topics.overflow, group: 'overflow-processor' }] : [];
  const thread = await PipelineThread.start(
    { log: ctx.log.log, warehouse, observer: metrics },
    { pipelines: [defaultPipelineOptions, ...overflow], dedupe: { windowMs: config.dedupeWindowMs, maxKeys: config.dedupeMaxKeys } },
  );
  return {
    lag: () => thread.lag(),
    problem: () => (thread.isHealthy() ? undefined : 'warehouse inserts are failing'),
    stop: () => thread.stop(),
  };
}
