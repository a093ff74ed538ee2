import { z } from 'zod';

/**
 * The data mode: which events an analytics read counts. Production
 * (the default) keeps debug builds' noise out; development shows only it.
 */
export const DataModes = ['production', 'development', 'all'] as const;
export const DataMode = z.enum(DataModes, { message: `must be one of ${DataModes.join(', ')}` }).default('production');
export type DataMode = (typeof DataModes)[number];

/** The `is_dev` value a data mode selects, or undefined for both. */
export function isDevFor(mode: DataMode): boolean | undefined {
  return mode === 'all' ? undefined : mode === 'development';
}
