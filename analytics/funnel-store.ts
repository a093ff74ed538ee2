import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { SavedFunnelStore, StoredFunnel } from '@strix/contracts';
import { FunnelDefinition, FunnelLimits, checkDefinition, definitionFields } from './funnel-definition.ts';

/** A project's saved funnel: a name and a definition to run over any range. */
export interface SavedFunnel {
  id: string;
  name: string;
  definition: FunnelDefinition;
  created_at: number;
  updated_at: number;
}

const funnelName = z
  .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
  .trim()
  .min(1, { message: 'must not be empty' })
  .max(FunnelLimits.maxFunnelNameChars, { message: `must be at most ${FunnelLimits.maxFunnelNameChars} characters` });

/** The path of the first string in `value` holding U+0000, or undefined. */
function nulPath(value: unknown, path: (string | number)[] = []): (string | number)[] | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path : undefined;
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [key, inner] of Object.entries(value)) {
    const found = nulPath(inner, [...path, Array.isArray(value) ? Number(key) : key]);
    if (found) return found;
  }
  return undefined;
}

/** PostgreSQL text and jsonb cannot hold U+0000, so a saved funnel may not (an ad-hoc query may). */
function refuseNul(value: object, ctx: z.RefinementCtx): void {
  const path = nulPath(value);
  if (path) ctx.addIssue({ code: 'custom', path, message: 'must not contain the character U+0000 in a saved funnel' });
}

export const NewFunnel = z.object({ name: funnelName, ...definitionFields }).strict().superRefine(checkDefinition).superRefine(refuseNul);
export type NewFunnel = z.infer<typeof NewFunnel>;

/** Fields to change; the merged definition is checked as a whole. */
export const FunnelPatch = z
  .object({
    name: funnelName.optional(),
    steps: definitionFields.steps.optional(),
    mode: definitionFields.mode.unwrap().optional(),
    window_seconds: definitionFields.window_seconds.unwrap().optional(),
    strict_order: definitionFields.strict_order.unwrap().optional(),
    exclusions: definitionFields.exclusions.unwrap().optional(),
    by: definitionFields.by.unwrap().optional(),
  })
  .strict()
  .refine((p) => Object.keys(p).length > 0, { message: 'send at least one field to change' })
  .superRefine(refuseNul);
export type FunnelPatch = z.infer<typeof FunnelPatch>;

/** A stored funnel as the API shows it: the definition parsed again, defaults applied. */
function fromStored(stored: StoredFunnel): SavedFunnel {
  const definition = FunnelDefinition.parse(stored.definition);
  return { id: stored.id, name: stored.name, definition, created_at: stored.created_at, updated_at: stored.updated_at };
}

const toStored = (f: SavedFunnel): StoredFunnel => ({ ...f, definition: { ...f.definition } });

export async function createFunnel(store: SavedFunnelStore, projectId: string, input: NewFunnel, now = Date.now()): Promise<SavedFunnel> {
  const { name, ...definition } = input;
  const funnel: SavedFunnel = { id: `fnl_${randomBytes(12).toString('base64url')}`, name, definition, created_at: now, updated_at: now };
  await store.create(projectId, toStored(funnel));
  return funnel;
}

/** One page of the project's saved funnels, oldest first. */
export async function listFunnels(store: SavedFunnelStore, projectId: string, page: { limit: number; offset: number }): Promise<SavedFunnel[]> {
  return (await store.list(projectId, page)).map(fromStored);
}

/** The project's funnel, or undefined (another project's id finds nothing). */
export async function getFunnel(store: SavedFunnelStore, projectId: string, id: string): Promise<SavedFunnel | undefined> {
  const stored = await store.get(projectId, id);
  return stored && fromStored(stored);
}

/**
 * Applies a patch and checks the merged definition, so a change of steps that
 * leaves an exclusion past the last step is refused. Throws the ZodError of
 * the merged definition; undefined when there is no such funnel.
 */
export async function updateFunnel(store: SavedFunnelStore, projectId: string, id: string, patch: FunnelPatch, now = Date.now()): Promise<SavedFunnel | undefined> {
  const { name, ...changes } = patch;
  const stored = await store.update(projectId, id, (stored) => {
    const current = fromStored(stored);
    const definition = FunnelDefinition.parse({ ...current.definition, ...changes });
    return toStored({ ...current, name: name ?? current.name, definition, updated_at: Math.max(now, current.updated_at) });
  });
  return stored && fromStored(stored);
}

/** Soft delete; false when there is no such funnel. */
export function deleteFunnel(store: SavedFunnelStore, projectId: string, id: string, now = Date.now()): Promise<boolean> {
  return store.delete(projectId, id, now);
}
