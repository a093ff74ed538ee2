import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Warehouse } from '@strix/contracts';
import { eventRow } from '@strix/testkit/rows';
import { openStore } from '@strix/testkit/stores';
import { principal, queryApp } from '@strix/testkit/apps';


const dayMs = 86_400_000;
const minute = 60_000;
const today = Math.floor(Date.now() / dayMs) * dayMs;
const day = (offset: number) => new Date(today + offset * dayMs).toISOString().slice(0, 10);

interface Day { day: string; dau: number; wau: number; mau: number; new: number; returning: number; sessions: number; events: number }
interface Screen { screen_name: string; views: number; events: number; people: number; exits: number; exit_rate: number; median_dwell_seconds: number | null }
interface Live { since: string; window_seconds: number; people: number; countries: unknown[]; os_versions: unknown[]; routes: unknown[] }

describe('audience API', () => {
  let wh: Warehouse;
  let close: () => Promise<void>;
  let app: Awaited<ReturnType<typeof queryApp>>;

  const get = (url: string, key = 'agent-read') => app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key}` } });
  const ok = async <T>(url: string, key?: string) => {
    const res = await get(url, key);
    assert.equal(res.statusCode, 200, res.body);
    return res.json<T>();
  };
  const rejected = async (url: string, message: string | RegExp, status = 400) => {
    const res = await get(url);
    assert.equal(res.statusCode, status, res.body);
    const body = res.json<{ message: string }>();
    if (typeof message === 'string') assert.equal(body.message, message);
    else assert.match(body.message, message);
  };

  before(async () => {
    ({ wh, close } = await openStore('p', 'other', 'l'));
    app = await queryApp(wh, [
      principal('agent-read', 'agent', ['events:read']),
      principal('agent-issues', 'agent', ['issues:read']),
      principal('agent-other', 'agent', ['events:read'], 'other'),
      principal('agent-live', 'agent', ['events:read'], 'l'),
      principal('client-1', 'client', ['events:write']),
    ]);
    const at = (offset: number, hour: number) => today + offset * dayMs + hour * 3_600_000;
    await wh.insert('events', [
      // Two days ago: u1 (web, twice) and an anonymous session.
      eventRow({ project_id: 'p', ts: at(-2, 9), user_id: 'u1', session_id: 'a', app_id: 'web', name: '$pageview', kind: 'track', screen_name: '/home' }),
      eventRow({ project_id: 'p', ts: at(-2, 10), user_id: 'u1', session_id: 'a', app_id: 'web', name: '$pageview', kind: 'track', screen_name: '/pricing' }),
      eventRow({ project_id: 'p', ts: at(-2, 11), user_id: '', session_id: 'anon', app_id: 'web', name: '$pageview', kind: 'track', screen_name: '/home' }),
      // Yesterday: u1 returns on ios, u2 is new; a metric point and a dev event count for nothing in production.
      eventRow({ project_id: 'p', ts: at(-1, 9), user_id: 'u1', session_id: 'b', app_id: 'ios', name: 'tap', kind: 'track', screen_name: 'Home' }),
      eventRow({ project_id: 'p', ts: at(-1, 9), user_id: 'u2', session_id: 'c', app_id: 'web', name: '$pageview', kind: 'track', screen_name: '/home' }),
      eventRow({ project_id: 'p', ts: at(-1, 9), user_id: 'u3', session_id: 'd', app_id: 'web', name: 'load', kind: 'metric' }),
      eventRow({ project_id: 'p', ts: at(-1, 9), user_id: 'dev1', session_id: 'e', app_id: 'web', name: '$pageview', kind: 'track', screen_name: '/debug', is_dev: true }),
      // The live view's project, apart so that no day above moves when the test runs just after midnight.
      eventRow({ project_id: 'l', ts: Date.now() - 2 * minute, user_id: 'u2', session_id: 'f', app_id: 'web', country: 'DE', os_version: 'macOS 14', screen_name: '/home' }),
      eventRow({ project_id: 'l', ts: Date.now() - 10 * minute, user_id: 'u1', session_id: 'g', app_id: 'web', country: 'FR', os_version: 'iOS 17', screen_name: '/home' }),
    ]);
  });
  after(async () => {
    await app.close();
    await close();
  });

  it('active: one row per day with DAU, WAU, MAU, new, returning, sessions and events', async () => {
    const body = await ok<{ from: string; to: string; days: Day[] }>(`/v1/audience/active?from=${day(-2)}&to=${day(0)}`);
    assert.deepEqual([body.from, body.to], [day(-2), day(-1)], 'to is exclusive: a range ending at midnight stops the day before');
    assert.deepEqual(body.days, [
      { day: day(-2), dau: 2, wau: 2, mau: 2, new: 2, returning: 0, sessions: 2, events: 3 },
      { day: day(-1), dau: 2, wau: 3, mau: 3, new: 1, returning: 1, sessions: 2, events: 2 },
    ]);
  });

  it('active: data_mode and app_id narrow the people counted', async () => {
    const range = `from=${day(-2)}&to=${day(0)}`;
    const dev = await ok<{ days: Day[] }>(`/v1/audience/active?${range}&data_mode=development`);
    assert.deepEqual(dev.days.map((d) => [d.dau, d.new]), [[0, 0], [1, 1]]);
    const all = await ok<{ days: Day[] }>(`/v1/audience/active?${range}&data_mode=all`);
    assert.deepEqual(all.days.map((d) => [d.dau, d.mau, d.events]), [[2, 2, 3], [3, 4, 3]]);
    const ios = await ok<{ days: Day[] }>(`/v1/audience/active?${range}&app_id=ios`);
    assert.deepEqual(ios.days.map((d) => [d.dau, d.new, d.returning]), [[0, 0, 0], [1, 1, 0]], 'u1 is new to the ios app');
  });

  it('active: by default the last 30 days up to today', async () => {
    const body = await ok<{ from: string; to: string; days: Day[] }>('/v1/audience/active');
    assert.equal(body.days.length, 31);
    assert.deepEqual([body.from, body.to], [day(-30), day(0)]);
    assert.equal(body.days.reduce((sum, d) => sum + d.events, 0), 5);
  });

  it('screens: most viewed first, with people, exits and dwell, limited', async () => {
    const range = `from=${day(-2)}&to=${day(0)}`;
    const body = await ok<{ screens: Screen[] }>(`/v1/audience/screens?${range}`);
    // Session a went /home → /pricing an hour later and left; sessions anon and c left from /home.
    assert.deepEqual(body.screens, [
      { screen_name: '/home', views: 3, events: 3, people: 3, exits: 2, exit_rate: 2 / 3, median_dwell_seconds: 3600 },
      { screen_name: '/pricing', views: 1, events: 1, people: 1, exits: 1, exit_rate: 1, median_dwell_seconds: null },
      { screen_name: 'Home', views: 0, events: 1, people: 1, exits: 0, exit_rate: 0, median_dwell_seconds: null },
    ]);
    const top = await ok<{ screens: Screen[] }>(`/v1/audience/screens?${range}&limit=1&app_id=web`);
    assert.deepEqual(top.screens.map((s) => s.screen_name), ['/home']);
    const dev = await ok<{ screens: Screen[] }>(`/v1/audience/screens?${range}&data_mode=development`);
    assert.deepEqual(dev.screens.map((s) => s.screen_name), ['/debug']);
  });

  it('live: the last five minutes', async () => {
    const body = await ok<Live>('/v1/audience/live', 'agent-live');
    assert.equal(body.window_seconds, 300);
    assert.ok(Math.abs(Date.parse(body.since) - (Date.now() - 5 * minute)) < 30_000);
    assert.deepEqual(
      [body.people, body.countries, body.os_versions, body.routes],
      [1, [{ country: 'DE', people: 1 }], [{ os_version: 'macOS 14', people: 1 }], [{ screen_name: '/home', people: 1 }]],
    );
    assert.equal((await ok<Live>('/v1/audience/live?data_mode=development', 'agent-live')).people, 0);
    assert.equal((await ok<Live>('/v1/audience/live')).people, 0, 'project p had no event in the window');
  });

  it('each project sees only its own audience', async () => {
    const body = await ok<{ days: Day[] }>(`/v1/audience/active?from=${day(-2)}&to=${day(0)}`, 'agent-other');
    assert.deepEqual(body.days.map((d) => d.events), [0, 0]);
    assert.deepEqual((await ok<{ screens: Screen[] }>('/v1/audience/screens', 'agent-other')).screens, []);
    assert.equal((await ok<Live>('/v1/audience/live', 'agent-other')).people, 0);
  });

  it('rejects bad ranges, limits and parameters with a 400 naming them', async () => {
    await rejected(`/v1/audience/active?from=${day(0)}&to=${day(-1)}`, 'query parameter from: must be before to');
    await rejected(`/v1/audience/active?from=${day(0)}&to=${day(0)}`, 'query parameter from: must be before to');
    await rejected(`/v1/audience/screens?from=${Date.now() + dayMs}`, 'query parameter from: must be before to');
    await rejected(`/v1/audience/active?from=${day(-367)}&to=${day(0)}`, 'query parameter from: the range from..to must span at most 366 days');
    await ok(`/v1/audience/active?from=${day(-366)}&to=${day(0)}`);
    await rejected('/v1/audience/active?from=yesterday', /^query parameter from: must be an ISO-8601 time .* or epoch milliseconds, between 1970-01-01T00:00:00.000Z and 2100-01-01T00:00:00.000Z$/);
    await rejected('/v1/audience/screens?limit=1001', 'query parameter limit: must be at most 1000');
    await rejected('/v1/audience/screens?limit=0', 'query parameter limit: must be at least 1');
    await rejected('/v1/audience/live?limit=ten', 'query parameter limit: must be a number');
    await rejected('/v1/audience/live?limit=2.5', 'query parameter limit: must be a whole number');
    await rejected('/v1/audience/active?data_mode=staging', 'query parameter data_mode: must be one of production, development, all');
    await rejected('/v1/audience/live?from=1', /^query parameter from: not a known field; expected data_mode, app_id, limit$/);
    await rejected('/v1/audience/active?app_id=', 'query parameter app_id: must not be empty');
  });

  it('needs an agent key with events:read', async () => {
    assert.equal((await get('/v1/audience/active', 'client-1')).statusCode, 403);
    assert.equal((await get('/v1/audience/live', 'agent-issues')).statusCode, 403);
    assert.equal((await get('/v1/audience/screens', 'nope')).statusCode, 401);
  });
});
