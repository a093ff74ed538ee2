import { Audience } from './audience.ts';
import { EventExplorer } from './event-explorer.ts';
import { FunnelService, type FunnelServiceDeps } from './funnel-service.ts';
import { MetricQueries } from './metric-queries.ts';
import { UserDirectory } from './user-directory.ts';

/** The analytics services the read API calls, one per feature. */
export interface Analytics {
  events: EventExplorer;
  audience: Audience;
  metrics: MetricQueries;
  users: UserDirectory;
  funnels: FunnelService;
}

/** Every analytics service over one warehouse; saved funnels are kept in the control plane's store. */
export function createAnalytics(deps: FunnelServiceDeps): Analytics {
  return {
    events: new EventExplorer(deps),
    audience: new Audience(deps),
    metrics: new MetricQueries(deps),
    users: new UserDirectory(deps),
    funnels: new FunnelService(deps),
  };
}
