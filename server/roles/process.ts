import { Topics } from '@strix/contracts';
import { EventDeduper, EventPipeline, defaultPipelineOptions } from '@strix/processors';
import type { RoleContext, RunningRole } from './role.ts';

/**
 * The pipeline: log → parse, dedupe, normalize, group → warehouse, offsets
 * committed after the insert. On Kafka a second pipeline drains the overflow topic.
 */
export async function startProcessRole(ctx: RoleContext): Promise<RunningRole> {
  const { config, warehouse, metrics } = ctx;
  if (!ctx.log) throw new Error('the process role needs a log');
  const deduper = new EventDeduper({ windowMs: config.dedupeWindowMs, maxKeys: config.dedupeMaxKeys });
  const deps = { log: ctx.log.log, warehouse, deduper, observer: metrics };
  const pipelines = [new EventPipeline(deps, defaultPipelineOptions)];
  // Hot keys are only redirected on a partitioned log; the embedded one has no overflow.
  if (config.log.kind === 'kafka') {
    pipelines.push(new EventPipeline(deps, { ...defaultPipelineOptions, topic: Topics.overflow, group: 'overflow-processor' }));
  }
  for (const pipeline of pipelines) await pipeline.start();
  return {
    lag: () => pipelines.reduce((sum, p) => sum + p.lag(), 0),
    problem: () => (pipelines.every((p) => p.isHealthy()) ? undefined : 'warehouse inserts are failing'),
    async stop() {
      for (const pipeline of pipelines) await pipeline.stop();
    },
  };
}
