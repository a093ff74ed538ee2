import { Fragment, type JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiFailure, api } from '../api.ts';
import { when } from '../issue-types.ts';
import { ranges, readFilters, type Scope } from '../scope.ts';
import { navigate, withQuery } from '../url.ts';

interface EventRow { event_id: string; timestamp: string; received_at: string; name: string; level: string; message: string; user_id: string; session_id: string; app_id: string; [field: string]: unknown }
interface EventsPage { events: EventRow[]; next_cursor: string | null }

const filters = ['name', 'level', 'user_id', 'session_id'] as const;
const levels = ['debug', 'info', 'warn', 'error'];
const pageSize = 50;
/** How often the live tail asks for newer events. */
const tailEveryMs = 3_000;

/**
 * Events, newest first, with the API's filters (kept in the URL), a page at a
 * time, each event's full JSON on demand, and a live tail that adds new ones
 * as they arrive.
 */
export function EventsPage({ scope, url }: { scope: Scope; url: URL }): JSX.Element {
  const project = scope.project.id;
  const chosen = Object.fromEntries(filters.map((f) => [f, url.searchParams.get(f) ?? ''])) as Record<(typeof filters)[number], string>;
  const tail = url.searchParams.get('tail') === '1';
  const [events, setEvents] = useState<EventRow[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [open, setOpen] = useState<string>();
  const [problem, setProblem] = useState<string>();
  const newest = useRef<number>(0);
  const [exportFormat, setExportFormat] = useState('csv');

  const query = (extra: Record<string, string>) => {
    const q = new URLSearchParams({ ...readFilters(scope), limit: String(pageSize), from: new Date(Date.now() - ranges[scope.range]).toISOString(), to: new Date(Date.now() + 60_000).toISOString(), ...extra });
    for (const f of filters) if (chosen[f]) q.set(f, chosen[f]);
    return q;
  };
  const fail = (error: unknown) => setProblem(error instanceof ApiFailure ? error.message : String(error));
  const key = JSON.stringify([project, scope.dataMode, scope.appId, scope.range, chosen]);
  useEffect(() => {
    setProblem(undefined);
    api<EventsPage>(`/v1/events?${query({})}`, { project }).then((page) => {
      setEvents(page.events);
      setCursor(page.next_cursor);
      newest.current = Math.max(0, ...page.events.map((e) => Date.parse(e.timestamp)));
    }, fail);
  }, [key]);

  useEffect(() => {
    if (!tail) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        // Events stamped at or after the newest shown; ones already shown are dropped by id.
        const page = await api<EventsPage>(`/v1/events?${query({ from: new Date(newest.current || Date.now() - 60_000).toISOString() })}`, { project });
        if (!stopped && page.events.length > 0) {
          setEvents((shown) => {
            const known = new Set(shown.map((e) => e.event_id));
            return [...page.events.filter((e) => !known.has(e.event_id)), ...shown];
          });
          newest.current = Math.max(newest.current, ...page.events.map((e) => Date.parse(e.timestamp)));
        }
      } catch {
        // The next poll tries again.
      }
      if (!stopped) timer = setTimeout(() => void poll(), tailEveryMs);
    };
    timer = setTimeout(() => void poll(), tailEveryMs);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [key, tail]);

  const more = () =>
    cursor &&
    api<EventsPage>(`/v1/events?${query({ cursor })}`, { project }).then((page) => {
      setEvents((shown) => [...shown, ...page.events]);
      setCursor(page.next_cursor);
    }, fail);
  const set = (changes: Record<string, string | undefined>) => navigate(withQuery(changes), true);

  return (
    <section aria-labelledby="events-title">
      <h1 id="events-title">Events</h1>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <label>Name <input value={chosen.name} onChange={(e) => set({ name: e.currentTarget.value })} /></label>
        <label>Level <select value={chosen.level} onChange={(e) => set({ level: e.currentTarget.value })}><option value="">any</option>{levels.map((l) => <option key={l}>{l}</option>)}</select></label>
        <label>User <input value={chosen.user_id} onChange={(e) => set({ user_id: e.currentTarget.value })} /></label>
        <label>Session <input value={chosen.session_id} onChange={(e) => set({ session_id: e.currentTarget.value })} /></label>
        <label class="check"><input type="checkbox" checked={tail} onChange={(e) => set({ tail: e.currentTarget.checked ? '1' : undefined })} /> Live tail</label>
      </form>
      <p class="inline">
        <label>Export the filtered events as <select value={exportFormat} onChange={(e) => setExportFormat(e.currentTarget.value)}>{['csv', 'ndjson', 'arrow', 'parquet'].map((f) => <option key={f}>{f}</option>)}</select></label>{' '}
        {/* A plain link: the browser saves the file as the API streams it. */}
        <a class="button" href={`/v1/events/export?${query({ format: exportFormat, limit: '1000000', project })}`} download>Export</a>
      </p>
      {problem && <p role="alert" class="problem">{problem}</p>}
      <table class="events">
        <thead><tr><th scope="col">Time</th><th scope="col">Level</th><th scope="col">Name</th><th scope="col">Message</th><th scope="col">User</th></tr></thead>
        <tbody>
          {events.map((e) => (
            <Fragment key={e.event_id}>
              <tr class={e.level}>
                <td><button type="button" class="link" aria-expanded={open === e.event_id} onClick={() => setOpen(open === e.event_id ? undefined : e.event_id)}>{when(e.timestamp)}</button></td>
                <td>{e.level}</td><td>{e.name}</td><td>{e.message}</td><td>{e.user_id ? <a href={`/users/${encodeURIComponent(e.user_id)}?project=${project}`}>{e.user_id}</a> : '—'}</td>
              </tr>
              {open === e.event_id && <tr><td colSpan={5}><pre class="json">{JSON.stringify(e, null, 2)}</pre></td></tr>}
            </Fragment>
          ))}
        </tbody>
      </table>
      {events.length === 0 && <p class="empty">No events match.</p>}
      {cursor && <button type="button" onClick={() => void more()}>Older events</button>}
    </section>
  );
}
