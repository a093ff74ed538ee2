/**
 * Saved funnels are definitions people edit, so they live in the control
 * plane (PostgreSQL), not beside the events in the warehouse. The analytics
 * layer owns what a definition means and checks it; the store keeps it as
 * JSON and answers one project at a time.
 */

/** A saved funnel as stored: `definition` is the JSON the analytics layer parses (times in epoch ms). */
export interface StoredFunnel {
  readonly id: string;
  readonly name: string;
  readonly definition: Readonly<Record<string, unknown>>;
  readonly created_at: number;
  readonly updated_at: number;
}

/** A project's saved funnels; an id of another project, or of a deleted funnel, finds nothing. */
export interface SavedFunnelStore {
  create(projectId: string, funnel: StoredFunnel): Promise<void>;
  /** A page of the project's live funnels, oldest first (ties by id, bytewise). */
  list(projectId: string, page: { limit: number; offset: number }): Promise<StoredFunnel[]>;
  get(projectId: string, id: string): Promise<StoredFunnel | undefined>;
  /**
   * Replaces a live funnel's name, definition and updated_at with what `change`
   * makes of the current one, atomically (two patches do not lose each
   * other's fields). Undefined when there is none; when `change` throws,
   * nothing changes and the error is rethrown.
   */
  update(projectId: string, id: string, change: (current: StoredFunnel) => StoredFunnel): Promise<StoredFunnel | undefined>;
  /** Soft delete at `at` (epoch ms); false when there is no such live funnel. */
  delete(projectId: string, id: string, at: number): Promise<boolean>;
}
