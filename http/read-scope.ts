/**
 * The one scope every read route takes: `from`, `to` (time-range.ts, the one
 * parser), `data_mode` (production, the default; development; all) and
 * `app_id`. Routes spread `readScopeFields` into their query schema (a POST
 * body takes the same names, with times from `bodyTime`) and build the scope
 * with `readScope`; each keeps its own default window (`timeWindow`).
 */
import { z } from 'zod';
import { DataModes, IngestLimits, isDevFor, type DataMode } from '@strix/contracts';
import { ApiError } from './errors.ts';
import { queryTime } from './time-range.ts';

/** An app of the project; reads of every app when absent. */
export const AppId = z
  .string()
  .min(1, { message: 'must not be empty' })
  .max(IngestLimits.maxShortFieldChars, { message: `must be at most ${IngestLimits.maxShortFieldChars} characters` })
  .meta({ description: 'Only this app’s data (default: every app of the project)' });

/** Which events a read counts; `production` when absent. */
export const DataModeField = z
  .enum(DataModes, { message: `must be one of ${DataModes.join(', ')}` })
  .meta({ description: 'production (default): release builds; development: debug builds only; all: both' });

/** The scope's query fields, in the order error messages list them. */
export const readScopeFields = {
  from: queryTime.optional().meta({ description: 'Start, inclusive: ISO 8601 or epoch milliseconds' }),
  to: queryTime.optional().meta({ description: 'End, exclusive: ISO 8601 or epoch milliseconds' }),
  data_mode: DataModeField.optional(),
  app_id: AppId.optional(),
};

/** `is_dev`, kept on the routes that had it (events, event counts, issues): `true` is `data_mode=development`. */
export const legacyIsDevField = {
  is_dev: z
    .enum(['true', 'false'])
    .optional()
    .meta({ deprecated: true, description: 'Deprecated: use data_mode. true is data_mode=development, false production; not together with data_mode' }),
};

export interface ReadScopeInput {
  from?: number;
  to?: number;
  data_mode?: DataMode;
  app_id?: string;
  is_dev?: 'true' | 'false';
}

/** What a read covers, as the domain services take it. */
export interface ReadScope {
  projectId: string;
  /** Epoch ms as sent; each route applies its default window (`timeWindow`). */
  fromMs: number | undefined;
  toMs: number | undefined;
  dataMode: DataMode;
  /** The `is_dev` value the data mode selects; undefined reads both. */
  isDev: boolean | undefined;
  appId: string | undefined;
}

/** The scope of a read, or a 400 when the deprecated `is_dev` and `data_mode` are both sent. */
export function readScope(projectId: string, q: ReadScopeInput): ReadScope {
  if (q.is_dev !== undefined && q.data_mode !== undefined) {
    throw new ApiError('bad_request', 'query parameters is_dev and data_mode: send only data_mode (is_dev is deprecated; is_dev=true is data_mode=development)');
  }
  const dataMode: DataMode = q.data_mode ?? (q.is_dev === 'true' ? 'development' : 'production');
  return { projectId, fromMs: q.from, toMs: q.to, dataMode, isDev: isDevFor(dataMode), appId: q.app_id };
}

export interface WindowDefaults {
  /** Length of the window when `from` is absent. */
  spanMs: number;
  /** `to` when absent (default: now). */
  toMs?: number;
}

/** The scope's `[from, to)` with a route's defaults, or a 400 when `from` is not before `to`. */
export function timeWindow(scope: Pick<ReadScope, 'fromMs' | 'toMs'>, defaults: WindowDefaults): { fromMs: number; toMs: number } {
  const toMs = scope.toMs ?? defaults.toMs ?? Date.now();
  const fromMs = scope.fromMs ?? toMs - defaults.spanMs;
  if (fromMs >= toMs) throw new ApiError('bad_request', 'query parameter from: must be before to');
  return { fromMs, toMs };
}
