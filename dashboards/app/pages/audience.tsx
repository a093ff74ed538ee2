import type { JSX } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiFailure, api } from '../api.ts';
import { LineChart } from '../chart.tsx';
import { ranges, readFilters, type Scope } from '../scope.ts';
import { navigate } from '../url.ts';
import { duration, percent } from '../format.ts';

interface Day { day: string; dau: number; wau: number; mau: number; new: number; returning: number; sessions: number; events: number }
interface Screen { screen_name: string; views: number; events: number; people: number; exits: number; exit_rate: number; median_dwell_seconds: number | null }
interface Live { since: string; window_seconds: number; people: number; countries: { country: string; people: number }[]; os_versions: { os_version: string; people: number }[]; routes: { screen_name: string; people: number }[] }

/** How often the live view asks again. */
const liveEveryMs = 3_000;

/** Who uses the apps: active people per day, top screens, and who is here now (refreshing itself). */
export function AudiencePage({ scope }: { scope: Scope }): JSX.Element {
  const project = scope.project.id;
  const [days, setDays] = useState<Day[]>();
  const [screens, setScreens] = useState<Screen[]>();
  const [problem, setProblem] = useState<string>();
  const range = useMemo(() => {
    const to = Date.now();
    return new URLSearchParams({ from: new Date(to - ranges[scope.range]).toISOString(), to: new Date(to).toISOString(), ...readFilters(scope) });
  }, [scope.range, scope.dataMode, scope.appId]);
  useEffect(() => {
    const fail = (error: unknown) => setProblem(error instanceof ApiFailure ? error.message : String(error));
    api<{ days: Day[] }>(`/v1/audience/active?${range}`, { project }).then((r) => setDays(r.days), fail);
    api<{ screens: Screen[] }>(`/v1/audience/screens?${range}&limit=20`, { project }).then((r) => setScreens(r.screens), fail);
  }, [project, range.toString()]);

  return (
    <section aria-labelledby="audience-title">
      <h1 id="audience-title">Audience</h1>
      {problem && <p role="alert" class="problem">{problem}</p>}
      <LiveView scope={scope} />
      <form class="filters" onSubmit={(e) => {
        e.preventDefault();
        const field = e.currentTarget.elements.namedItem('user');
        const id = field instanceof HTMLInputElement ? field.value.trim() : '';
        if (id) navigate(`/users/${encodeURIComponent(id)}?project=${project}`);
      }}>
        <label>User id <input name="user" required autocomplete="off" /></label> <button type="submit">Open user</button>
      </form>
      {days && (
        <section aria-labelledby="active-title">
          <h2 id="active-title">Active people</h2>
          <LineChart
            x={days.map((d) => Date.parse(`${d.day}T00:00:00Z`) / 1000)}
            series={[{ name: 'daily', values: days.map((d) => d.dau) }, { name: 'weekly', values: days.map((d) => d.wau) }, { name: 'monthly', values: days.map((d) => d.mau) }]}
            label="Daily, weekly and monthly active people"
          />
          <LineChart
            x={days.map((d) => Date.parse(`${d.day}T00:00:00Z`) / 1000)}
            series={[{ name: 'new', values: days.map((d) => d.new) }, { name: 'returning', values: days.map((d) => d.returning) }, { name: 'sessions', values: days.map((d) => d.sessions) }]}
            label="New and returning people, and sessions, per day"
          />
          <table class="active">
            <thead><tr><th scope="col">Day (UTC)</th><th scope="col" class="num">Daily</th><th scope="col" class="num">Weekly</th><th scope="col" class="num">Monthly</th><th scope="col" class="num">New</th><th scope="col" class="num">Returning</th><th scope="col" class="num">Sessions</th></tr></thead>
            <tbody>{[...days].reverse().map((d) => <tr key={d.day}><td>{d.day}</td><td class="num">{d.dau}</td><td class="num">{d.wau}</td><td class="num">{d.mau}</td><td class="num">{d.new}</td><td class="num">{d.returning}</td><td class="num">{d.sessions}</td></tr>)}</tbody>
          </table>
        </section>
      )}
      {screens && (
        <section aria-labelledby="screens-title">
          <h2 id="screens-title">Top screens and routes</h2>
          <table class="screens">
            <thead>
              <tr>
                <th scope="col">Screen</th><th scope="col" class="num">Views</th><th scope="col" class="num">People</th>
                <th scope="col" class="num" title="Sessions whose last view was this screen">Exits</th><th scope="col" class="num" title="Exits per view">Exit rate</th>
                <th scope="col" class="num" title="Median time until the session's next view">Median dwell</th>
              </tr>
            </thead>
            <tbody>
              {screens.map((s) => (
                <tr key={s.screen_name}>
                  <td>{s.screen_name || '(none)'}</td><td class="num">{s.views}</td><td class="num">{s.people}</td>
                  <td class="num">{s.exits}</td><td class="num">{percent(s.exit_rate)}</td><td class="num">{duration(s.median_dwell_seconds)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </section>
  );
}

/** People with an event in the last five minutes, by country, OS and route; asks again every few seconds while shown. */
function LiveView({ scope }: { scope: Scope }): JSX.Element {
  const [live, setLive] = useState<Live>();
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      try {
        const answer = await api<Live>(`/v1/audience/live?${new URLSearchParams(readFilters(scope))}`, { project: scope.project.id });
        if (!stopped) setLive(answer);
      } catch {
        // The next tick tries again; a signed-out session shows on the next page load.
      }
      if (!stopped) timer = setTimeout(() => void tick(), liveEveryMs);
    };
    void tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [scope.project.id, scope.dataMode, scope.appId]);
  return (
    <section class="live" aria-labelledby="live-title" aria-live="polite">
      <h2 id="live-title">Now</h2>
      {!live ? (
        <p class="loading">Loading…</p>
      ) : (
        <>
          <p><strong data-testid="live-people">{live.people}</strong> {live.people === 1 ? 'person' : 'people'} in the last {Math.round(live.window_seconds / 60)} minutes</p>
          <div class="live-tables">
            <table><caption>Countries</caption><tbody>{live.countries.map((c) => <tr key={c.country}><td>{c.country || '—'}</td><td class="num">{c.people}</td></tr>)}</tbody></table>
            <table><caption>OS</caption><tbody>{live.os_versions.map((o) => <tr key={o.os_version}><td>{o.os_version || '—'}</td><td class="num">{o.people}</td></tr>)}</tbody></table>
            <table><caption>Routes</caption><tbody>{live.routes.map((r) => <tr key={r.screen_name}><td>{r.screen_name || '—'}</td><td class="num">{r.people}</td></tr>)}</tbody></table>
          </div>
        </>
      )}
    </section>
  );
}
