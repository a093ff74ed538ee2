import { render, type JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiFailure, api, type Me } from './api.ts';
import { useApps } from './apps.ts';
import { AudiencePage } from './pages/audience.tsx';
import { EventsPage } from './pages/events.tsx';
import { FunnelsPage } from './pages/funnels.tsx';
import { IssuePage } from './pages/issue.tsx';
import { MetricsPage } from './pages/performance.tsx';
import { IssueList } from './pages/issues.tsx';
import { SettingsPage } from './pages/settings.tsx';
import { UserPage } from './pages/user.tsx';
import { SignIn } from './pages/sign-in.tsx';
import { dataModes, ranges, remember, scopeOf, type Scope } from './scope.ts';
import { navigate, onLinkClick, useLocation, withQuery } from './url.ts';
import 'uplot/dist/uPlot.min.css';
import './styles.css';

type Session = { state: 'loading' } | { state: 'signed-out' } | { state: 'signed-in'; me: Me } | { state: 'failed'; message: string };

function App(): JSX.Element {
  const url = useLocation();
  const [session, setSession] = useState<Session>({ state: 'loading' });
  const load = () =>
    api<Me>('/v1/me').then(
      (me) => setSession({ state: 'signed-in', me }),
      (error: unknown) => setSession(error instanceof ApiFailure && error.status === 401 ? { state: 'signed-out' } : { state: 'failed', message: String(error) }),
    );
  useEffect(() => void load(), []);

  if (session.state === 'loading') return <p class="loading">Loading…</p>;
  if (session.state === 'failed') return <p role="alert">Strix could not be reached: {session.message}</p>;
  if (session.state === 'signed-out') return <SignIn onSignedIn={() => void load()} />;
  const scope = scopeOf(session.me, url);
  if (!scope) return <p class="empty">You belong to no project yet. Ask a team admin for an invitation.</p>;
  return (
    <Shell scope={scope} onSignedOut={() => setSession({ state: 'signed-out' })}>
      <Page scope={scope} url={url} />
    </Shell>
  );
}

function Page({ scope, url }: { scope: Scope; url: URL }): JSX.Element {
  const issue = /^\/issues\/([^/]+)$/.exec(url.pathname);
  if (issue?.[1]) return <IssuePage scope={scope} issueId={decodeURIComponent(issue[1])} />;
  const funnel = /^\/funnels(?:\/([^/]+))?$/.exec(url.pathname);
  if (url.pathname === '/audience') return <AudiencePage scope={scope} />;
  const user = /^\/users\/([^/]+)$/.exec(url.pathname);
  if (user?.[1]) return <UserPage scope={scope} url={url} userId={decodeURIComponent(user[1])} />;
  if (url.pathname === '/events') return <EventsPage scope={scope} url={url} />;
  const metric = /^\/performance(?:\/(.+))?$/.exec(url.pathname);
  if (metric) return <MetricsPage scope={scope} url={url} {...(metric[1] && { name: decodeURIComponent(metric[1]) })} />;
  const settings = /^\/settings(?:\/([a-z]+))?$/.exec(url.pathname);
  if (settings) return <SettingsPage scope={scope} section={settings[1] ?? ''} />;
  if (funnel) return <FunnelsPage scope={scope} url={url} {...(funnel[1] && { funnelId: decodeURIComponent(funnel[1]) })} />;
  if (url.pathname === '/' || url.pathname === '/issues' || url.pathname === '/sign-in') return <IssueList scope={scope} url={url} />;
  return <p class="empty">Nothing here yet: this section of the dashboard is not built.</p>;
}

function Shell({ scope, onSignedOut, children }: { scope: Scope; onSignedOut: () => void; children: JSX.Element }): JSX.Element {
  const choose = (key: 'project' | 'data_mode' | 'range', value: string) => {
    remember(key === 'data_mode' ? 'dataMode' : key, value);
    // Apps belong to a project: another project starts with all of its apps.
    navigate(withQuery({ [key]: value, ...(key === 'project' && { app: undefined }) }));
  };
  // Sections keep the project and the app; the data mode and range are remembered in the browser.
  const section = (path: string) => `${path}?${new URLSearchParams({ project: scope.project.id, ...(scope.appId && { app: scope.appId }) })}`;
  const apps = useApps(scope.project.id);
  const signOut = async () => {
    await api('/v1/auth/sign-out', { method: 'POST' }).catch(() => undefined);
    onSignedOut();
  };
  return (
    <div class="shell" onClick={onLinkClick}>
      <header>
        <a class="brand" href={withQuery({}, new URL('/issues', location.href))}>Strix</a>
        <nav aria-label="Sections">
          <a href={section('/funnels')} aria-current={location.pathname.startsWith('/funnels') ? 'page' : undefined}>Funnels</a>
          <a href={section('/audience')} aria-current={location.pathname.startsWith('/audience') || location.pathname.startsWith('/users') ? 'page' : undefined}>Audience</a>
          <a href={section('/performance')} aria-current={location.pathname.startsWith('/performance') ? 'page' : undefined}>Performance</a>
          <a href={section('/issues')} aria-current={location.pathname.startsWith('/issues') ? 'page' : undefined}>Issues</a>
          <a href={section('/events')} aria-current={location.pathname.startsWith('/events') ? 'page' : undefined}>Events</a>
          <a href={section('/settings')} aria-current={location.pathname.startsWith('/settings') ? 'page' : undefined}>Settings</a>
        </nav>
        <label>
          Project{' '}
          <select value={scope.project.id} onChange={(e) => choose('project', e.currentTarget.value)}>
            {scope.projects.map((p) => (
              <option value={p.id} key={p.id}>{scope.me.teams.length > 1 ? `${p.teamName} / ${p.name}` : p.name}</option>
            ))}
          </select>
        </label>
        <label>
          App{' '}
          <select aria-label="App" value={scope.appId ?? ''} onChange={(e) => navigate(withQuery({ app: e.currentTarget.value || undefined }))}>
            <option value="">all apps</option>
            {apps.map((a) => <option value={a.id} key={a.id}>{a.name}</option>)}
          </select>
        </label>
        <label>
          Data{' '}
          <select value={scope.dataMode} onChange={(e) => choose('data_mode', e.currentTarget.value)}>
            {dataModes.map((m) => <option value={m} key={m}>{m}</option>)}
          </select>
        </label>
        <label>
          Range{' '}
          <select value={scope.range} onChange={(e) => choose('range', e.currentTarget.value)}>
            {Object.keys(ranges).map((r) => <option value={r} key={r}>last {r}</option>)}
          </select>
        </label>
        <span class="who">{scope.me.user.email}</span>
        <button type="button" onClick={() => void signOut()}>Sign out</button>
      </header>
      <main>{children}</main>
    </div>
  );
}

const root = document.getElementById('app');
if (root) render(<App />, root);
