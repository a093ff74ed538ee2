import type { AnalyticsDeps } from './deps.ts';
import type { FunnelBreakdown, FunnelDefinition } from './funnel-definition.ts';
import { createFunnel, deleteFunnel, getFunnel, listFunnels, updateFunnel, type FunnelPatch, type NewFunnel, type SavedFunnel } from './funnel-store.ts';
import { runFunnel, type FunnelReport, type FunnelScope } from './funnels.ts';

/**
 * Funnels: run a definition over a scope (funnels.ts holds the semantics) and
 * keep a project's saved definitions (funnel-store.ts). A funnel of another
 * project is not found.
 */
export class FunnelService {
  constructor(private readonly deps: AnalyticsDeps) {}

  run(scope: FunnelScope, definition: FunnelDefinition, breakdown?: FunnelBreakdown): Promise<FunnelReport> {
    return runFunnel(this.deps.warehouse, scope, definition, breakdown);
  }

  create(projectId: string, input: NewFunnel): Promise<SavedFunnel> {
    return createFunnel(this.deps.warehouse, projectId, input);
  }

  /** One page of saved funnels, oldest first. */
  list(projectId: string, page: { limit: number; offset: number }): Promise<SavedFunnel[]> {
    return listFunnels(this.deps.warehouse, projectId, page);
  }

  get(projectId: string, id: string): Promise<SavedFunnel | undefined> {
    return getFunnel(this.deps.warehouse, projectId, id);
  }

  /** Undefined when there is no such funnel; throws the merged definition's ZodError when the patch breaks it. */
  update(projectId: string, id: string, patch: FunnelPatch): Promise<SavedFunnel | undefined> {
    return updateFunnel(this.deps.warehouse, projectId, id, patch);
  }

  /** False when there is no such funnel. */
  delete(projectId: string, id: string): Promise<boolean> {
    return deleteFunnel(this.deps.warehouse, projectId, id);
  }
}
