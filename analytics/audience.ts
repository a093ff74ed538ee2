import { activePeople, liveAudience, topScreens, utcDay, type ActiveDay, type AudienceScope, type LiveAudience, type ScreenStats } from '@strix/warehouse';
import type { AnalyticsDeps } from './deps.ts';

export type { ActiveDay, AudienceScope, LiveAudience, ScreenStats };

/** A time window, epoch ms, `to` exclusive. */
export interface TimeWindow {
  fromMs: number;
  toMs: number;
}

/**
 * The UTC days a window touches: `to` is exclusive, so a window ending at
 * midnight stops the day before, and one ending now includes today.
 */
function daysOf(window: TimeWindow) {
  return { from: utcDay(window.fromMs), to: utcDay(window.toMs - 1) };
}

/** Audience: active people per day (with trailing weeks and months), top screens, and who is active now. Days are UTC. */
export class Audience {
  constructor(private readonly deps: AnalyticsDeps) {}

  async active(scope: AudienceScope, window: TimeWindow): Promise<{ from: string; to: string; days: ActiveDay[] }> {
    const days = daysOf(window);
    return { ...days, days: await activePeople(this.deps.warehouse, scope, days) };
  }

  async screens(scope: AudienceScope, window: TimeWindow, limit: number): Promise<{ from: string; to: string; screens: ScreenStats[] }> {
    const days = daysOf(window);
    return { ...days, screens: await topScreens(this.deps.warehouse, scope, days, limit) };
  }

  /** People with an event in the `windowMs` before `nowMs`, and their top countries, OS versions and routes. */
  live(scope: AudienceScope, nowMs: number, windowMs: number, limit: number): Promise<LiveAudience> {
    return liveAudience(this.deps.warehouse, scope, nowMs, windowMs, limit);
  }
}
