import { edgeRoutes, HotKeys } from '@strix/edge';
import type { RoleContext, RunningRole } from './role.ts';

/**
 * The edge: `POST /v1/ingest`, `/v1/track:batch`, `/v1/metrics:batch`, appending
 * to the log. On Kafka, a hot key's excess goes to the overflow topic.
 */
export async function startIngestRole(ctx: RoleContext): Promise<RunningRole> {
  const { config, metrics } = ctx;
  if (!ctx.log) throw new Error('the ingest role needs a log');
  const { log, eventsPartitionOf } = ctx.log;
  await ctx.app.register(edgeRoutes, {
    log,
    partitioning: eventsPartitionOf && {
      partitionOf: eventsPartitionOf,
      hotKeys: new HotKeys({ recordsPerSecond: config.hotKeyRecordsPerSecond, onRedirect: (n) => metrics.overflowed(n) }),
    },
    warehouse: ctx.warehouse,
    rateLimits: config.rateLimits,
    overloaded: () => {
      if (log.pendingBytes() > config.maxPendingLogBytes) return 'log write buffer full';
      if (ctx.lag() > config.maxLogLagRecords) return 'processors behind';
      return undefined;
    },
  });
  return {};
}
