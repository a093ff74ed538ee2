import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Warehouse } from '@strix/contracts';
import { savedFunnel, savedFunnels, writeFunnel, type FunnelRow } from '@strix/warehouse';
import { FunnelDefinition, FunnelExclusion, FunnelLimits, FunnelStep, checkDefinition, definitionFields } from './funnel-definition.ts';

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

export const NewFunnel = z.object({ name: funnelName, ...definitionFields }).strict().superRefine(checkDefinition);
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
  .refine((p) => Object.keys(p).length > 0, { message: 'send at least one field to change' });
export type FunnelPatch = z.infer<typeof FunnelPatch>;

const storedSteps = z.array(FunnelStep);
const storedExclusions = z.array(FunnelExclusion);

function fromRow(row: FunnelRow): SavedFunnel {
  const definition = FunnelDefinition.parse({
    steps: storedSteps.parse(JSON.parse(row.steps)),
    mode: row.mode,
    window_seconds: row.window_seconds,
    strict_order: row.strict_order,
    exclusions: storedExclusions.parse(JSON.parse(row.exclusions)),
    by: row.by,
  });
  return { id: row.funnel_id, name: row.name, definition, created_at: row.created_at, updated_at: row.updated_at };
}

function toRow(projectId: string, f: SavedFunnel, deletedAt: number | null = null): FunnelRow {
  const d = f.definition;
  return {
    project_id: projectId,
    funnel_id: f.id,
    name: f.name,
    steps: JSON.stringify(d.steps),
    mode: d.mode,
    window_seconds: d.window_seconds,
    strict_order: d.strict_order,
    exclusions: JSON.stringify(d.exclusions),
    by: d.by,
    created_at: f.created_at,
    updated_at: f.updated_at,
    deleted_at: deletedAt,
  };
}

export async function createFunnel(wh: Warehouse, projectId: string, input: NewFunnel, now = Date.now()): Promise<SavedFunnel> {
  const { name, ...definition } = input;
  const funnel: SavedFunnel = { id: `fnl_${randomBytes(12).toString('base64url')}`, name, definition, created_at: now, updated_at: now };
  await writeFunnel(wh, toRow(projectId, funnel));
  return funnel;
}

/** One page of the project's saved funnels, oldest first. */
export async function listFunnels(wh: Warehouse, projectId: string, page: { limit: number; offset: number }): Promise<SavedFunnel[]> {
  return (await savedFunnels(wh, projectId, page)).map(fromRow);
}

/** The project's funnel, or undefined (another project's id finds nothing). */
export async function getFunnel(wh: Warehouse, projectId: string, id: string): Promise<SavedFunnel | undefined> {
  const row = await savedFunnel(wh, projectId, id);
  return row ? fromRow(row) : undefined;
}

/**
 * Applies a patch and checks the merged definition, so a change of steps that
 * leaves an exclusion past the last step is refused. Throws the ZodError of
 * the merged definition; undefined when there is no such funnel.
 */
export async function updateFunnel(wh: Warehouse, projectId: string, id: string, patch: FunnelPatch, now = Date.now()): Promise<SavedFunnel | undefined> {
  const current = await getFunnel(wh, projectId, id);
  if (!current) return undefined;
  const { name, ...changes } = patch;
  const definition = FunnelDefinition.parse({ ...current.definition, ...changes });
  const funnel: SavedFunnel = { ...current, name: name ?? current.name, definition, updated_at: Math.max(now, current.updated_at) };
  await writeFunnel(wh, toRow(projectId, funnel));
  return funnel;
}

/** Soft delete; false when there is no such funnel. */
export async function deleteFunnel(wh: Warehouse, projectId: string, id: string, now = Date.now()): Promise<boolean> {
  const current = await getFunnel(wh, projectId, id);
  if (!current) return false;
  await writeFunnel(wh, toRow(projectId, { ...current, updated_at: now }, now));
  return true;
}
