import type { SavedFunnelStore } from '@strix/contracts';
import type { AnalyticsDeps } from './deps.ts';
import type { FunnelBreakdown, FunnelDefinition } from './funnel-definition.ts';
import { createFunnel, deleteFunnel, getFunnel, listFunnels, updateFunnel, type FunnelPatch, type NewFunnel, type SavedFunnel } from './funnel-store.ts';
import { runFunnel, runFunnelTrend, type FunnelReport, type FunnelScope, type FunnelTrendPoint, type TrendInterval } from './funnels.ts';

/** The warehouse the funnels run over, and the control plane's store of saved definitions. */
export interface FunnelServiceDeps extends AnalyticsDeps {
  savedFunnels: SavedFunnelStore;
}

/**
 * Funnels: run a definition over a scope (funnels.ts holds the semantics) and
 * keep a project's saved definitions (funnel-store.ts) in the control
 * plane's store. A funnel of another project is not found.
 */
export class FunnelService {
  constructor(private readonly deps: FunnelServiceDeps) {}

  run(scope: FunnelScope, definition: FunnelDefinition, breakdown?: FunnelBreakdown): Promise<FunnelReport> {
    return runFunnel(this.deps.warehouse, scope, definition, breakdown);
  }

  trend(scope: FunnelScope, definition: FunnelDefinition, interval: TrendInterval): Promise<FunnelTrendPoint[]> {
    return runFunnelTrend(this.deps.warehouse, scope, definition, interval);
  }

  create(projectId: string, input: NewFunnel): Promise<SavedFunnel> {
    return createFunnel(this.deps.savedFunnels, projectId, input);
  }

  /** One page of saved funnels, oldest first. */
  list(projectId: string, page: { limit: number; offset: number }): Promise<SavedFunnel[]> {
    return listFunnels(this.deps.savedFunnels, projectId, page);
  }

  get(projectId: string, id: string): Promise<SavedFunnel | undefined> {
    return getFunnel(this.deps.savedFunnels, projectId, id);
  }

  /** Undefined when there is no such funnel; throws the merged definition's ZodError when the patch breaks it. */
  update(projectId: string, id: string, patch: FunnelPatch): Promise<SavedFunnel | undefined> {
    return updateFunnel(this.deps.savedFunnels, projectId, id, patch);
  }

  /** False when there is no such funnel. */
  delete(projectId: string, id: string): Promise<boolean> {
    return deleteFunnel(this.deps.savedFunnels, projectId, id);
  }
}
