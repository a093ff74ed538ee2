/**
 * What every audience read is narrowed to: a project, a data mode and an app,
 * over whole UTC days (the days the rollups store).
 */
import { z } from 'zod';
import type { QueryParams } from '@strix/contracts';

export interface AudienceScope {
  projectId: string;
  /** Which data mode: production (false), development (true), or both (undefined). */
  isDev?: boolean;
  appId?: string;
}

/** Days `from` to `to`, both included, as `YYYY-MM-DD`. */
export interface DayRange {
  from: string;
  to: string;
}

export const dayMs = 86_400_000;

/** The UTC day of an instant, as `YYYY-MM-DD`. */
export const utcDay = (ms: number): string => new Date(Math.floor(ms / dayMs) * dayMs).toISOString().slice(0, 10);

/** The day `days` after `day` (before, when negative). */
export const addDays = (day: string, days: number): string => utcDay(Date.parse(day) + days * dayMs);

export function daysOf(range: DayRange): string[] {
  const days: string[] = [];
  for (let ms = Date.parse(range.from); ms <= Date.parse(range.to); ms += dayMs) days.push(utcDay(ms));
  return days;
}

/** The scope's filters over a rollup or `events`, every value bound. */
export function scopeFilter(scope: AudienceScope): { sql: string; params: QueryParams } {
  let sql = 'project_id = {project:String}';
  const params: QueryParams = { project: scope.projectId };
  if (scope.isDev !== undefined) {
    sql += ' AND is_dev = {is_dev:Bool}';
    params.is_dev = scope.isDev;
  }
  if (scope.appId !== undefined) {
    sql += ' AND app_id = {app:String}';
    params.app = scope.appId;
  }
  return { sql, params };
}

export const count = z.coerce.number();
