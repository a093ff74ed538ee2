import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { activePeople, liveAudience, topScreens, utcDay, type ActiveDay, type AudienceScope } from './audience.ts';
import type { ChdbWarehouse } from './chdb-warehouse.ts';
import type { EventRow } from './events.ts';
import { eventRow } from '@strix/testkit/rows';
import { openStore } from '@strix/testkit/stores';

const dayMs = 86_400_000;
const minute = 60_000;

/** Deterministic, so a failure reproduces. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const personOf = (e: EventRow) => (e.user_id !== '' ? e.user_id : e.session_id !== '' ? `s:${e.session_id}` : undefined);
const inScope = (e: EventRow, scope: AudienceScope) =>
  e.project_id === scope.projectId && (scope.isDev === undefined || e.is_dev === scope.isDev) && (scope.appId === undefined || e.app_id === scope.appId);

/** The audience numbers recomputed from the inserted rows, the plain way. */
function expectedActive(rows: EventRow[], scope: AudienceScope, days: string[]): ActiveDay[] {
  const counted = rows.filter((e) => inScope(e, scope) && e.kind !== 'metric');
  const firstDay = new Map<string, string>();
  const peopleOn = new Map<string, Set<string>>();
  for (const e of counted) {
    const person = personOf(e);
    if (person === undefined) continue;
    const day = utcDay(e.ts);
    if (!(firstDay.get(person)! <= day)) firstDay.set(person, day);
    const set = peopleOn.get(day) ?? new Set<string>();
    set.add(person);
    peopleOn.set(day, set);
  }
  const union = (day: string, span: number) => {
    const all = new Set<string>();
    for (let i = 0; i < span; i++) for (const p of peopleOn.get(utcDay(Date.parse(day) - i * dayMs)) ?? []) all.add(p);
    return all.size;
  };
  return days.map((day) => {
    const dau = peopleOn.get(day)?.size ?? 0;
    const fresh = [...firstDay.values()].filter((d) => d === day).length;
    const that = counted.filter((e) => utcDay(e.ts) === day);
    return {
      day,
      dau,
      wau: union(day, 7),
      mau: union(day, 30),
      new: fresh,
      returning: dau - fresh,
      sessions: new Set(that.map((e) => e.session_id).filter((s) => s !== '')).size,
      events: that.length,
    };
  });
}

describe('audience rollups', () => {
  let wh: ChdbWarehouse;
  let close: () => Promise<void>;
  const rows: EventRow[] = [];
  const start = Math.floor(Date.now() / dayMs) * dayMs - 60 * dayMs;
  const screens = ['/home', '/acme/issues', '/acme/settings', '/pricing', ''];

  before(async () => {
    ({ wh, close } = await openStore('p', 'q', 'live', 'r'));
    // 300 people over 60 days: each starts on some day and comes back at their own rate.
    const rand = random(14);
    for (let i = 0; i < 300; i++) {
      const anonymous = i % 4 === 0;
      const firstDay = Math.floor(rand() * 60);
      const rate = 0.05 + rand() * 0.5;
      const dev = i % 10 === 0;
      for (let day = firstDay; day < 60; day++) {
        if (day !== firstDay && rand() > rate) continue;
        const session = `p${i}-d${day}-s${Math.floor(rand() * 2)}`;
        for (let n = 1 + Math.floor(rand() * 4); n > 0; n--) {
          const kind = (['log', 'track', 'track', 'metric'] as const)[Math.floor(rand() * 4)];
          rows.push(
            eventRow({
              project_id: 'p',
              ts: start + day * dayMs + Math.floor(rand() * dayMs),
              user_id: anonymous ? '' : `u${i}`,
              session_id: session,
              app_id: rand() < 0.5 ? 'web' : 'ios',
              is_dev: dev || rand() < 0.02,
              kind,
              name: kind === 'track' && rand() < 0.7 ? '$pageview' : 'tap',
              screen_name: screens[Math.floor(rand() * screens.length)],
            }),
          );
        }
      }
    }
    // Events with neither user nor session count as events, not as people.
    for (let day = 0; day < 60; day += 7) rows.push(eventRow({ project_id: 'p', ts: start + day * dayMs + 1000, user_id: '', session_id: '', kind: 'log' }));
    // Several inserts, so states merge across parts as well as within one.
    for (let i = 0; i < rows.length; i += 700) await wh.insert('events', rows.slice(i, i + 700));
  });
  after(async () => close());

  const lastThirty = () => ({ from: utcDay(start + 30 * dayMs), to: utcDay(start + 59 * dayMs) });
  const days = (range: { from: string; to: string }) =>
    Array.from({ length: (Date.parse(range.to) - Date.parse(range.from)) / dayMs + 1 }, (_, i) => utcDay(Date.parse(range.from) + i * dayMs));

  it('DAU, WAU, MAU, new, returning, sessions and events equal a recomputation from raw rows', async () => {
    const range = lastThirty();
    const scope = { projectId: 'p', isDev: false };
    const actual = await activePeople(wh, scope, range);
    assert.equal(actual.length, 30);
    assert.deepEqual(actual, expectedActive(rows, scope, days(range)));
    assert.ok(actual.some((d) => d.new > 0 && d.returning > 0 && d.mau > d.wau && d.wau > d.dau), 'the data exercises every column');
  });

  it('counts per data mode and app, new meaning new to that scope', async () => {
    const range = { from: utcDay(start), to: utcDay(start + 59 * dayMs) };
    for (const scope of [
      { projectId: 'p', isDev: true },
      { projectId: 'p' },
      { projectId: 'p', appId: 'ios', isDev: false },
      { projectId: 'p', appId: 'web' },
    ]) {
      assert.deepEqual(await activePeople(wh, scope, range), expectedActive(rows, scope, days(range)), JSON.stringify(scope));
    }
  });

  it('a range amid the data: people first seen before it return, rows first seen after it change nothing', async () => {
    const range = { from: utcDay(start + 20 * dayMs), to: utcDay(start + 40 * dayMs) };
    for (const scope of [{ projectId: 'p' }, { projectId: 'p', isDev: false }, { projectId: 'p', appId: 'web' }]) {
      const actual = await activePeople(wh, scope, range);
      assert.deepEqual(actual, expectedActive(rows, scope, days(range)), JSON.stringify(scope));
      assert.ok(actual.some((d) => d.new > 0) && actual.some((d) => d.returning > 0), 'both kinds of people in range');
    }
  });

  it('reports days without activity, and a trailing window reaching before the data', async () => {
    const range = { from: utcDay(start - 3 * dayMs), to: utcDay(start + dayMs) };
    const actual = await activePeople(wh, { projectId: 'p' }, range);
    assert.deepEqual(actual.map((d) => d.day), days(range));
    assert.deepEqual(actual[0], { day: range.from, dau: 0, wau: 0, mau: 0, new: 0, returning: 0, sessions: 0, events: 0 });
    assert.deepEqual(actual, expectedActive(rows, { projectId: 'p' }, days(range)));
    assert.deepEqual(await activePeople(wh, { projectId: 'nobody' }, range), expectedActive([], { projectId: 'nobody' }, days(range)));
  });

  it('a retried batch (same deduplication token) is counted once', async () => {
    const at = start + 40 * dayMs;
    const batch = Array.from({ length: 20 }, (_, i) => eventRow({ project_id: 'q', ts: at + i, user_id: `u${i % 5}`, screen_name: '/home', name: '$pageview' }));
    await wh.insert('events', batch, { dedupToken: 'audience-retry' });
    await wh.insert('events', batch, { dedupToken: 'audience-retry' });
    const [day] = await activePeople(wh, { projectId: 'q' }, { from: utcDay(at), to: utcDay(at) });
    assert.equal(day?.events, 20);
    assert.equal(day?.dau, 5);
    const [home] = await topScreens(wh, { projectId: 'q' }, { from: utcDay(at), to: utcDay(at) }, 10);
    assert.deepEqual(home, { screen_name: '/home', views: 20, events: 20, people: 5, exits: 20, exit_rate: 1, median_dwell_seconds: null }, 'each view its own session');
  });

  it('ranks screens by views, then people, over the range', async () => {
    const range = lastThirty();
    const scope = { projectId: 'p', isDev: false };
    const stats = new Map<string, { views: number; events: number; people: Set<string> }>();
    for (const e of rows) {
      if (!inScope(e, scope) || e.kind === 'metric' || e.screen_name === '') continue;
      const day = utcDay(e.ts);
      if (day < range.from || day > range.to) continue;
      const s = stats.get(e.screen_name) ?? { views: 0, events: 0, people: new Set<string>() };
      if (e.name === '$pageview') s.views++;
      s.events++;
      const person = personOf(e);
      if (person) s.people.add(person);
      stats.set(e.screen_name, s);
    }
    // Where sessions left: each session's views in order, the last an exit, the others dwelling until the next.
    const sessions = new Map<string, EventRow[]>();
    for (const e of rows) {
      if (!inScope(e, scope) || e.kind === 'metric' || e.screen_name === '' || e.session_id === '' || e.name !== '$pageview') continue;
      const day = utcDay(e.ts);
      if (day < range.from || day > range.to) continue;
      sessions.set(e.session_id, [...(sessions.get(e.session_id) ?? []), e]);
    }
    const exits = new Map<string, number>();
    const dwells = new Map<string, number[]>();
    for (const views of sessions.values()) {
      const ordered = [...views].sort((a, b) => a.ts - b.ts || (a.screen_name < b.screen_name ? -1 : 1));
      ordered.forEach((v, i) => {
        const next = ordered[i + 1];
        if (next) dwells.set(v.screen_name, [...(dwells.get(v.screen_name) ?? []), next.ts - v.ts]);
        else exits.set(v.screen_name, (exits.get(v.screen_name) ?? 0) + 1);
      });
    }
    const median = (values: number[] | undefined) => {
      if (!values?.length) return null;
      const sorted = [...values].sort((a, b) => a - b);
      const at = (sorted.length - 1) / 2;
      return (sorted[Math.floor(at)]! + sorted[Math.ceil(at)]!) / 2 / 1000;
    };
    const expected = [...stats]
      .map(([screen_name, s]) => {
        const exited = exits.get(screen_name) ?? 0;
        return {
          screen_name,
          views: s.views,
          events: s.events,
          people: s.people.size,
          exits: exited,
          exit_rate: s.views === 0 ? 0 : exited / s.views,
          median_dwell_seconds: median(dwells.get(screen_name)),
        };
      })
      .sort((a, b) => b.views - a.views || b.people - a.people || (a.screen_name < b.screen_name ? -1 : 1));
    assert.deepEqual(await topScreens(wh, scope, range, 10), expected);
    assert.deepEqual(await topScreens(wh, scope, range, 2), expected.slice(0, 2));
  });

  it('a range crossing a month boundary, read twice: the second read answers from the kept days', async () => {
    const mid = new Date(start + 30 * dayMs);
    const boundary = Date.UTC(mid.getUTCFullYear(), mid.getUTCMonth(), 1);
    const range = { from: utcDay(boundary - 6 * dayMs), to: utcDay(boundary + 5 * dayMs) };
    for (const scope of [{ projectId: 'p' }, { projectId: 'p', isDev: true }, { projectId: 'p', appId: 'ios' }, { projectId: 'p', isDev: false, appId: 'web' }]) {
      const expected = expectedActive(rows, scope, days(range));
      assert.deepEqual(await activePeople(wh, scope, range), expected, JSON.stringify(scope));
      assert.deepEqual(await activePeople(wh, scope, range), expected, `${JSON.stringify(scope)}, again`);
    }
    const [kept] = await wh.query<{ n: string }>(
      `SELECT count() AS n FROM audience_active_days FINAL WHERE project_id = 'p' AND data_mode = 'both' AND all_apps AND day >= {from:Date} AND day <= {to:Date}`,
      range,
    );
    assert.equal(Number(kept?.n), 12, 'one row per finished day of the range');
  });

  it('a range ending today: today from the last finished day, and events stored since (today, and late for a past day) counted', async () => {
    const today = Math.floor(Date.now() / dayMs) * dayMs;
    const made: EventRow[] = [];
    const rand = random(16);
    for (let i = 0; i < 60; i++) {
      for (let day = 44; day >= 0; day--) {
        if (rand() > 0.25) continue;
        const app = rand() < 0.5 ? 'web' : 'ios';
        made.push(eventRow({ project_id: 'r', ts: today - day * dayMs + Math.floor(rand() * dayMs), user_id: i % 3 === 0 ? '' : `u${i}`, session_id: `r${i}-${day}`, app_id: app, is_dev: i % 7 === 0 }));
      }
    }
    await wh.insert('events', made);
    const range = { from: utcDay(today - 29 * dayMs), to: utcDay(today) };
    const scopes: AudienceScope[] = [{ projectId: 'r' }, { projectId: 'r', isDev: false }, { projectId: 'r', appId: 'ios', isDev: false }];
    for (const scope of scopes) {
      assert.deepEqual(await activePeople(wh, scope, range), expectedActive(made, scope, days(range)), JSON.stringify(scope));
      assert.deepEqual(await activePeople(wh, scope, range), expectedActive(made, scope, days(range)), `${JSON.stringify(scope)}, again`);
    }
    const [unions] = await wh.query<{ day: string }>(`SELECT DISTINCT toString(day) AS day FROM audience_active_days WHERE project_id = 'r' AND with_unions`);
    assert.equal(unions?.day, utcDay(today - dayMs), 'only the last finished day keeps its unions');

    // A newcomer and a returning person today; a late event ten days back from someone never seen, and one from someone seen later only.
    const later = [
      eventRow({ project_id: 'r', ts: today + 1000, user_id: 'newcomer', app_id: 'ios' }),
      eventRow({ project_id: 'r', ts: today + 2000, user_id: 'u1', app_id: 'ios' }),
      eventRow({ project_id: 'r', ts: today - 10 * dayMs + 5000, user_id: 'late', app_id: 'ios' }),
      eventRow({ project_id: 'r', ts: today - 40 * dayMs, user_id: 'u2', app_id: 'ios' }),
    ];
    await wh.insert('events', later);
    made.push(...later);
    for (const scope of scopes) {
      assert.deepEqual(await activePeople(wh, scope, range), expectedActive(made, scope, days(range)), `${JSON.stringify(scope)} after the late events`);
    }
    const todayOnly = { from: utcDay(today), to: utcDay(today) };
    assert.deepEqual(await activePeople(wh, { projectId: 'r', isDev: true }, todayOnly), expectedActive(made, { projectId: 'r', isDev: true }, days(todayOnly)));
  });

  it('live: people of the last five minutes under their latest country, OS and route', async () => {
    const now = Date.now();
    const live = (fields: Partial<EventRow>, agoMs: number) => eventRow({ project_id: 'live', ts: now - agoMs, ...fields });
    await wh.insert('events', [
      // u1 moved from FR to DE and from /home to /pricing, then sent an event with no screen.
      live({ user_id: 'u1', country: 'FR', os_version: 'iOS 17', screen_name: '/home' }, 4 * minute),
      live({ user_id: 'u1', country: 'DE', os_version: 'iOS 17', screen_name: '/pricing' }, 2 * minute),
      live({ user_id: 'u1', country: 'DE', os_version: 'iOS 17', screen_name: '' }, 1 * minute),
      live({ user_id: 'u2', country: 'DE', os_version: 'Android 14', screen_name: '/home' }, 3 * minute),
      live({ user_id: '', session_id: 'anon', country: 'US', os_version: 'iOS 17', screen_name: '/home' }, 30_000),
      live({ user_id: 'u3', country: 'US', os_version: 'iOS 17', screen_name: '/home', is_dev: true }, minute),
      live({ user_id: 'u4', country: 'US', os_version: 'iOS 16', screen_name: '/checkout', kind: 'metric' }, minute),
      // Older than the window: u5 is gone, and u2's old country does not count.
      live({ user_id: 'u5', country: 'JP', os_version: 'iOS 17', screen_name: '/home' }, 6 * minute),
      live({ user_id: 'u2', country: 'JP', os_version: 'Android 14', screen_name: '/home' }, 20 * minute),
      live({ user_id: 'u6', country: 'JP', os_version: 'iOS 17', screen_name: '/home' }, 2 * dayMs),
    ]);
    const prod = await liveAudience(wh, { projectId: 'live', isDev: false }, now, 5 * minute, 10);
    assert.equal(prod.since, now - 5 * minute);
    assert.equal(prod.people, 3);
    assert.deepEqual(prod.countries, [{ country: 'DE', people: 2 }, { country: 'US', people: 1 }]);
    assert.deepEqual(prod.osVersions, [{ os_version: 'iOS 17', people: 2 }, { os_version: 'Android 14', people: 1 }]);
    assert.deepEqual(prod.routes, [{ screen_name: '/home', people: 2 }, { screen_name: '/pricing', people: 1 }]);

    const all = await liveAudience(wh, { projectId: 'live' }, now, 5 * minute, 1);
    assert.equal(all.people, 4);
    assert.deepEqual(all.countries, [{ country: 'DE', people: 2 }], 'top 1; ties would break by name');
    assert.deepEqual(all.routes, [{ screen_name: '/home', people: 3 }]);

    const dev = await liveAudience(wh, { projectId: 'live', isDev: true }, now, 5 * minute, 10);
    assert.deepEqual([dev.people, dev.countries], [1, [{ country: 'US', people: 1 }]]);
    const none = await liveAudience(wh, { projectId: 'live', appId: 'other' }, now, 5 * minute, 10);
    assert.deepEqual(none, { since: now - 5 * minute, people: 0, countries: [], osVersions: [], routes: [] });
  });
});
