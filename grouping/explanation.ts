import { z } from 'zod';

/**
 * Why an event got its fingerprint, in the shape the issue detail serves as
 * `grouping_explanation` (after Sentry's grouping info): the rule that decided,
 * and each component with whether it contributed and why not.
 */
export const GroupingComponent = z.object({
  /** `client_fingerprint`, `exception_type`, `in_app_frames`, `source_module`, `message`, ... */
  name: z.string(),
  /** Whether this component's values went into the fingerprint. */
  contributes: z.boolean(),
  /** The values hashed (normalized frames as `function (location)`, the tokenized message, ...). */
  values: z.array(z.string()),
  /** Why it contributes or not, in words ("system frame ignored", "line numbers dropped", ...). */
  hint: z.string(),
});
export type GroupingComponent = z.infer<typeof GroupingComponent>;

export const GroupingExplanation = z.object({
  /** The grouping config that produced `fingerprint` (`strix-2`). */
  config: z.string(),
  /** Which rule decided: the client's fingerprint, the in-app stack, or the normalized message. */
  basis: z.enum(['fingerprint', 'stack', 'message', 'none']),
  fingerprint: z.string(),
  /** One sentence in words: "Grouped by 3 in-app frames and the exception type TypeError". */
  summary: z.string(),
  components: z.array(GroupingComponent),
});
export type GroupingExplanation = z.infer<typeof GroupingExplanation>;
