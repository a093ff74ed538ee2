/** The funnels API's response schemas: what fastify serializes and /openapi.json documents. */
import { z } from 'zod';
import { DataModes } from '@strix/contracts';

const text = z.string();
const int = z.number().int();
const rate = z.number();
const seconds = z.number().nullable().meta({ description: 'Median seconds from step 1; null when not measured' });

const Filter = z.object({ property: text, op: text, value: z.union([z.string(), z.number()]).optional() });
const stepFields = { event: text, where: z.array(Filter).optional() };

export const FunnelDefinitionJson = z.object({
  steps: z.array(z.object(stepFields)),
  mode: z.enum(['closed', 'open']),
  window_seconds: int,
  strict_order: z.boolean(),
  exclusions: z.array(z.object({ ...stepFields, from_step: int.optional(), to_step: int.optional() })),
  by: z.enum(['user', 'session']),
});

export const SavedFunnelJson = z.object({ id: text, name: text, ...FunnelDefinitionJson.shape, created_at: text, updated_at: text });

const GroupJson = z.object({
  value: text.nullable().meta({ description: 'The breakdown value; null without a breakdown' }),
  steps: z.array(
    z.object({ event: text, count: int, conversion_rate: rate, step_conversion_rate: rate, drop_off: int, drop_off_rate: rate, median_seconds_to_convert: seconds }),
  ),
  totals: z.object({ entered: int, converted: int, conversion_rate: rate, median_seconds_to_convert: seconds }),
});

const ExperimentJson = z.object({
  control: text,
  confidence: z.number(),
  verdict: text,
  variants: z.array(
    z.object({
      variant: text,
      users: int,
      conversions: int,
      rate,
      rate_ci: z.array(z.number()),
      sample_too_small: z.boolean(),
      vs_control: z.object({ difference: z.number(), difference_ci: z.array(z.number()), z: z.number(), p_value: z.number(), significant: z.boolean() }).optional(),
    }),
  ),
});

/** The scope a funnel was run over, as read (the data mode resolved). */
const readRangeJson = { from: text, to: text, data_mode: z.enum(DataModes), app_id: text.nullable() };

/** A funnel report: the funnel run, the scope it was run over, one group per breakdown value, and the experiment's significance. */
export const FunnelReportJson = <F extends z.ZodType>(funnel: F) =>
  z.object({
    funnel,
    ...readRangeJson,
    breakdown: z.object({ experiment: text.optional(), property: text.optional(), user_property: text.optional() }).nullable(),
    groups: z.array(GroupJson),
    experiment: ExperimentJson.optional().meta({ description: 'With an experiment breakdown' }),
  });

/** A funnel's trend: the funnel run, the scope it was run over, and one point per period of entry. */
export const FunnelTrendJson = <F extends z.ZodType>(funnel: F) =>
  z.object({
    funnel,
    ...readRangeJson,
    interval: z.enum(['day', 'week']),
    points: z.array(
      z.object({
        period: text.meta({ description: 'The first day (UTC) of the period units entered in, YYYY-MM-DD' }),
        entered: z.number().int(),
        converted: z.number().int().meta({ description: 'Of those, units that reached the last step (within the whole range)' }),
        conversion_rate: z.number(),
        counts: z.array(z.number().int()).meta({ description: 'Units of the period reaching each step' }),
      }),
    ),
  });
