import { Fragment, type JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiFailure, api } from '../api.ts';
import { when } from '../issue-types.ts';
import { ranges, readFilters, type Scope } from '../scope.ts';
import { navigate, withQuery } from '../url.ts';

interface UserJson { user_id: string; properties: Record<string, string>; first_seen_at: string; updated_at: string }
interface EventRow { event_id: string; timestamp: string; kind: 'log' | 'track' | 'metric'; name: string; level: string; message: string; session_id: string; screen_name: string; app_version: string; [field: string]: unknown }
interface EventsPage { events: EventRow[]; next_cursor: string | null }

const pageSize = 50;

/** What a timeline row is: a tracked event, an error, a log line or a metric point. */
const kindOf = (e: EventRow): string => (e.kind === 'track' ? 'event' : e.kind === 'metric' ? 'metric' : e.level === 'error' ? 'error' : 'log');

/**
 * One user: their properties and a merged timeline of everything they sent
 * (tracked events, logs, errors, metrics), newest first, a page at a time;
 * `only=error` in the URL keeps the errors.
 */
export function UserPage({ scope, url, userId }: { scope: Scope; url: URL; userId: string }): JSX.Element {
  const project = scope.project.id;
  const errorsOnly = url.searchParams.get('only') === 'error';
  const [user, setUser] = useState<UserJson | null>();
  const [events, setEvents] = useState<EventRow[]>();
  const [cursor, setCursor] = useState<string | null>(null);
  const [open, setOpen] = useState<string>();
  const [problem, setProblem] = useState<string>();
  const fail = (error: unknown) => setProblem(error instanceof ApiFailure ? error.message : String(error));
  const query = (extra: Record<string, string>) => {
    const q = new URLSearchParams({ user_id: userId, ...readFilters(scope), limit: String(pageSize), from: new Date(Date.now() - ranges[scope.range]).toISOString(), to: new Date(Date.now() + 60_000).toISOString(), ...extra });
    if (errorsOnly) q.set('level', 'error');
    return q;
  };

  useEffect(() => {
    setProblem(undefined);
    setUser(undefined);
    // A user who never had a property set is still a user with a timeline.
    api<UserJson>(`/v1/users/${encodeURIComponent(userId)}`, { project }).then(setUser, (error: unknown) => (error instanceof ApiFailure && error.status === 404 ? setUser(null) : fail(error)));
  }, [project, userId]);
  useEffect(() => {
    setEvents(undefined);
    api<EventsPage>(`/v1/events?${query({})}`, { project }).then((page) => {
      setEvents(page.events);
      setCursor(page.next_cursor);
    }, fail);
  }, [project, userId, scope.dataMode, scope.appId, scope.range, errorsOnly]);

  const more = () =>
    cursor &&
    api<EventsPage>(`/v1/events?${query({ cursor })}`, { project }).then((page) => {
      setEvents((shown) => [...(shown ?? []), ...page.events]);
      setCursor(page.next_cursor);
    }, fail);

  return (
    <section aria-labelledby="user-title">
      <h1 id="user-title">User {userId}</h1>
      {problem && <p role="alert" class="problem">{problem}</p>}
      <section aria-labelledby="properties-title">
        <h2 id="properties-title">Properties</h2>
        {user === undefined && <p class="loading">Loading…</p>}
        {user === null && <p class="empty">No properties were set for this user.</p>}
        {user && (
          <>
            <p>First seen {when(user.first_seen_at)}, properties updated {when(user.updated_at)}</p>
            <table class="properties">
              <thead><tr><th scope="col">Property</th><th scope="col">Value</th></tr></thead>
              <tbody>{Object.entries(user.properties).sort(([a], [b]) => (a < b ? -1 : 1)).map(([key, value]) => <tr key={key}><td>{key}</td><td>{value}</td></tr>)}</tbody>
            </table>
          </>
        )}
      </section>
      <section aria-labelledby="timeline-title">
        <h2 id="timeline-title">Timeline</h2>
        <form class="filters" onSubmit={(e) => e.preventDefault()}>
          <label class="check"><input type="checkbox" checked={errorsOnly} onChange={(e) => navigate(withQuery({ only: e.currentTarget.checked ? 'error' : undefined }), true)} /> Errors only</label>
        </form>
        {!events ? (
          <p class="loading">Loading…</p>
        ) : (
          <table class="events timeline">
            <thead><tr><th scope="col">Time</th><th scope="col">Kind</th><th scope="col">Name</th><th scope="col">Message</th><th scope="col">Screen</th><th scope="col">Session</th></tr></thead>
            <tbody>
              {events.map((e) => (
                <Fragment key={e.event_id}>
                  <tr class={kindOf(e)}>
                    <td><button type="button" class="link" aria-expanded={open === e.event_id} onClick={() => setOpen(open === e.event_id ? undefined : e.event_id)}>{when(e.timestamp)}</button></td>
                    <td><span class={`badge ${kindOf(e)}`}>{kindOf(e)}</span></td>
                    <td>{e.name}</td><td>{e.message}</td><td>{e.screen_name || '—'}</td>
                    <td>{e.session_id ? <a href={`/events?project=${project}&session_id=${encodeURIComponent(e.session_id)}`}>{e.session_id}</a> : '—'}</td>
                  </tr>
                  {open === e.event_id && <tr><td colSpan={6}><pre class="json">{JSON.stringify(e, null, 2)}</pre></td></tr>}
                </Fragment>
              ))}
            </tbody>
          </table>
        )}
        {events?.length === 0 && <p class="empty">Nothing from this user in the range.</p>}
        {cursor && <button type="button" onClick={() => void more()}>Older</button>}
      </section>
    </section>
  );
}
