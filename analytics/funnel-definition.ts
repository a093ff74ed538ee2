/**
 * What a funnel is, as clients send it: steps, mode, window, order, exclusions
 * and the unit counted. One schema serves ad-hoc queries and saved funnels, so
 * a definition that can be saved can be run, and the reverse.
 */
import { z } from 'zod';
import { IngestLimits } from '@strix/contracts';
import { FunnelBits, FunnelPropertyColumns, WhereOps, type FunnelBreakdown as BreakdownSpec } from '@strix/warehouse';

const day = 86_400;

export const FunnelLimits = {
  minSteps: 2,
  maxSteps: FunnelBits.steps,
  /** One bit each in a packed event (warehouse/funnels.ts). */
  maxExclusions: FunnelBits.exclusions,
  maxFiltersPerStep: 10,
  minWindowSeconds: 1,
  maxWindowSeconds: 90 * day,
  defaultWindowSeconds: 7 * day,
  /** A year of days, leap years included; the packed event time holds about 397. */
  maxRangeDays: 366,
  maxFunnelNameChars: 200,
} as const;

const text = (max: number) =>
  z
    .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
    .min(1, { message: 'must not be empty' })
    .max(max, { message: `must be at most ${max} characters` });

/**
 * A nested object that refuses unknown fields by their path and names the
 * known ones (`strict()` reports an unknown key without its path, so a
 * misspelt step field would read as a top-level one).
 */
function nested<Shape extends z.ZodRawShape>(shape: Shape) {
  const known = Object.keys(shape);
  return z.object(shape, { message: 'must be an object' }).catchall(z.unknown()).superRefine((value, ctx) => {
    for (const key of Object.keys(value)) {
      if (!known.includes(key)) ctx.addIssue({ code: 'custom', path: [key], message: `not a known field; expected ${known.join(', ')}` });
    }
  });
}

/**
 * A condition on an event property: a column (screen_name, app_version,
 * environment, country, os_version, device_model) or else an attribute. An
 * absent attribute reads as ''. `contains` is a case-sensitive substring;
 * `gt` and `lt` compare numbers, and a value that is not a number never
 * matches; `exists` means the attribute is present (a column: not empty).
 */
export const PropertyFilter = nested({
  property: text(IngestLimits.maxAttributeKeyChars),
  op: z.enum(WhereOps, { message: `must be one of ${WhereOps.join(', ')}` }),
  value: z
    .union([z.string().max(IngestLimits.maxAttributeValueChars, { message: `must be at most ${IngestLimits.maxAttributeValueChars} characters` }), z.number()], {
      message: 'must be a string or a number',
    })
    .optional(),
}).superRefine((f, ctx) => {
  const issue = (message: string) => ctx.addIssue({ code: 'custom', path: ['value'], message });
  if (f.op === 'exists') {
    if (f.value !== undefined) issue('must be absent when op is exists');
  } else if (f.op === 'gt' || f.op === 'lt') {
    if (typeof f.value !== 'number' || !Number.isFinite(f.value)) issue(`must be a number when op is ${f.op}`);
  } else if (typeof f.value !== 'string') {
    issue(`must be a string when op is ${f.op} (properties are text)`);
  }
});
export type PropertyFilter = z.infer<typeof PropertyFilter>;

const stepFields = {
  event: text(IngestLimits.maxNameChars),
  where: z
    .array(PropertyFilter)
    .max(FunnelLimits.maxFiltersPerStep, { message: `must contain at most ${FunnelLimits.maxFiltersPerStep} conditions` })
    .optional(),
};

export const FunnelStep = nested(stepFields);
export type FunnelStep = z.infer<typeof FunnelStep>;

const stepNumber = z.number({ message: 'must be a step number' }).int({ message: 'must be a whole number' }).min(1, { message: 'must be at least 1' });

/** Voids a chain if the event happens after it reached `from_step` (default 1) and before or when it reaches `to_step` (default the last). */
export const FunnelExclusion = nested({ ...stepFields, from_step: stepNumber.optional(), to_step: stepNumber.optional() });
export type FunnelExclusion = z.infer<typeof FunnelExclusion>;

export const FunnelModes = ['closed', 'open'] as const;
export const FunnelUnits = ['user', 'session'] as const;

export const definitionFields = {
  steps: z
    .array(FunnelStep, { error: (issue) => (issue.input === undefined ? 'is required' : 'must be a list of steps') })
    .min(FunnelLimits.minSteps, { message: `must contain at least ${FunnelLimits.minSteps} steps` })
    .max(FunnelLimits.maxSteps, { message: `must contain at most ${FunnelLimits.maxSteps} steps` }),
  mode: z.enum(FunnelModes, { message: `must be one of ${FunnelModes.join(', ')}` }).default('closed'),
  window_seconds: z
    .number({ message: 'must be a number of seconds' })
    .int({ message: 'must be a whole number of seconds' })
    .min(FunnelLimits.minWindowSeconds, { message: `must be at least ${FunnelLimits.minWindowSeconds} second` })
    .max(FunnelLimits.maxWindowSeconds, { message: `must be at most ${FunnelLimits.maxWindowSeconds} seconds (90 days)` })
    .default(FunnelLimits.defaultWindowSeconds),
  strict_order: z.boolean({ message: 'must be true or false' }).default(false),
  exclusions: z
    .array(FunnelExclusion, { message: 'must be a list of exclusions' })
    .max(FunnelLimits.maxExclusions, { message: `must contain at most ${FunnelLimits.maxExclusions} exclusions` })
    .default([]),
  by: z.enum(FunnelUnits, { message: `must be one of ${FunnelUnits.join(', ')}` }).default('user'),
};

type DefinitionInput = { steps: unknown[]; mode: string; strict_order: boolean; exclusions: FunnelExclusion[] };

/** Checks that need the whole definition: exclusion step ranges, and what applies to closed funnels only. */
export function checkDefinition(d: DefinitionInput, ctx: z.RefinementCtx): void {
  const last = d.steps.length;
  if (d.mode === 'open' && d.strict_order) {
    ctx.addIssue({ code: 'custom', path: ['strict_order'], message: 'applies to closed funnels only' });
  }
  if (d.mode === 'open' && d.exclusions.length > 0) {
    ctx.addIssue({ code: 'custom', path: ['exclusions'], message: 'apply to closed funnels only' });
  }
  d.exclusions.forEach((x, i) => {
    const from = x.from_step ?? 1;
    const to = x.to_step ?? last;
    if (from >= last) ctx.addIssue({ code: 'custom', path: ['exclusions', i, 'from_step'], message: `must be before the last step (${last})` });
    else if (to > last) ctx.addIssue({ code: 'custom', path: ['exclusions', i, 'to_step'], message: `must be at most the last step (${last})` });
    else if (to <= from) ctx.addIssue({ code: 'custom', path: ['exclusions', i, 'to_step'], message: `must be after from_step (${from})` });
  });
}

export const FunnelDefinition = z.object(definitionFields).strict().superRefine(checkDefinition);
export type FunnelDefinition = z.infer<typeof FunnelDefinition>;

const breakdownProperties = ['app_version', 'environment'] as const satisfies readonly (typeof FunnelPropertyColumns)[number][];

/** Splits a funnel's people by one value: an experiment's variant, a property of their first step, or a user property. */
export const FunnelBreakdown = nested({
  experiment: text(IngestLimits.maxAttributeKeyChars).optional(),
  property: z.enum(breakdownProperties, { message: `must be one of ${breakdownProperties.join(', ')}` }).optional(),
  user_property: text(IngestLimits.maxUserPropertyKeyChars).optional(),
})
  .refine((b) => [b.experiment, b.property, b.user_property].filter((v) => v !== undefined).length === 1, {
    message: 'must name exactly one of experiment, property, user_property',
  })
  .transform((b): BreakdownSpec =>
    b.experiment !== undefined ? { experiment: b.experiment } : b.property !== undefined ? { property: b.property } : { user_property: b.user_property! },
  );
export type FunnelBreakdown = z.infer<typeof FunnelBreakdown>;
