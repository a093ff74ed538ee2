import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiFailure, api } from '../api.ts';
import { statusWords, when, type Comment, type Issue, type IssueDetail, type Status } from '../issue-types.ts';
import { renderMarkdown } from '../markdown.ts';
import type { Scope } from '../scope.ts';
import { navigate, withQuery } from '../url.ts';

/** One issue: its state and the moves allowed from it, its comments, occurrences, fingerprints and a session's events. */
export function IssuePage({ scope, issueId }: { scope: Scope; issueId: string }): JSX.Element {
  const [detail, setDetail] = useState<IssueDetail>();
  const [problem, setProblem] = useState<string>();
  const path = `/v1/issues/${encodeURIComponent(issueId)}`;
  const call = <T,>(suffix: string, method: 'GET' | 'POST' | 'PATCH' | 'DELETE' = 'GET', body?: unknown) =>
    api<T>(`${path}${suffix}`, { method, project: scope.project.id, ...(body !== undefined && { body }) });
  const reload = () =>
    call<IssueDetail>('?occurrences=20').then(
      (d) => {
        setDetail(d);
        setProblem(undefined);
      },
      (error: unknown) => setProblem(error instanceof ApiFailure ? error.message : String(error)),
    );
  useEffect(() => void reload(), [issueId, scope.project.id]);

  /** Runs a change, then shows the issue as it now is; a refusal is shown with the API's words. */
  const change = async (work: () => Promise<unknown>) => {
    try {
      await work();
      await reload();
    } catch (error) {
      setProblem(error instanceof ApiFailure ? error.message : String(error));
    }
  };

  if (!detail) return problem ? <p role="alert" class="problem">{problem}</p> : <p class="loading">Loading…</p>;
  const { issue } = detail;
  return (
    <article class="issue" aria-labelledby="issue-title">
      <h1 id="issue-title">{issue.title}</h1>
      <p class="culprit">{issue.culprit}</p>
      <p>
        <span class={`status ${issue.status}`} data-testid="issue-status">{statusWords[issue.status]}</span>
        {issue.resolved_at_version && <span class="badge">fixed in {issue.resolved_at_version}</span>}
        {issue.regressed_in_version && <span class="badge warn">regressed in {issue.regressed_in_version}</span>}
        {issue.last_app_version && <span class="badge">latest {issue.last_app_version}</span>}
      </p>
      {problem && <p role="alert" class="problem">{problem}</p>}
      <StatusForm allowed={issue.allowed_statuses} onChange={(body) => change(() => call('', 'PATCH', body))} />
      <Snooze issue={issue} onChange={(until) => change(() => call('', 'PATCH', { snoozed_until: until }))} />
      <table class="facts">
        <caption>Counts</caption>
        <tbody>
          <tr><th scope="row">Occurrences</th><td class="num">{issue.occurrences}</td></tr>
          <tr><th scope="row">Users</th><td class="num">{issue.users}</td></tr>
          <tr><th scope="row">First seen</th><td>{when(issue.first_seen)}</td></tr>
          <tr><th scope="row">Last seen</th><td>{when(issue.last_seen)}</td></tr>
        </tbody>
      </table>
      {detail.grouping_explanation && <p class="explanation">{detail.grouping_explanation.summary}</p>}
      <Comments comments={detail.comments} onAdd={(body) => change(() => call('/comments', 'POST', { body }))} onDelete={(id) => change(() => call(`/comments/${encodeURIComponent(id)}`, 'DELETE'))} />
      <h2>Latest occurrences</h2>
      <table>
        <thead><tr><th scope="col">Last seen</th><th scope="col">Session</th><th scope="col">User</th><th scope="col">Version</th><th scope="col">Environment</th></tr></thead>
        <tbody>
          {detail.occurrences.map((o) => (
            <tr key={`${o.fingerprint}/${o.session_id}/${o.first_seen}`}><td>{when(o.last_seen)}</td><td>{o.session_id || '—'}</td><td>{o.user_id || '—'}</td><td>{o.app_version || '—'}</td><td>{o.environment || '—'}</td></tr>
          ))}
        </tbody>
      </table>
      <h2>Fingerprints</h2>
      <ul class="fingerprints">
        {detail.fingerprints.map((f) => (
          <li key={f.fingerprint}>
            <code>{f.fingerprint.slice(0, 16)}</code> ({f.grouping_config}, since {when(f.created_at)})
            {detail.fingerprints.length > 1 && (
              <button type="button" class="link" onClick={() => void change(async () => {
                const split = await call<{ issue: { id: string } }>('/unmerge', 'POST', { fingerprint: f.fingerprint });
                navigate(withQuery({}, new URL(`/issues/${encodeURIComponent(split.issue.id)}`, location.href)));
              })}>Split out</button>
            )}
          </li>
        ))}
      </ul>
      <MergeForm scope={scope} issue={issue} fingerprints={detail.fingerprints.length} onMerge={(ids) => change(() => call('/merge', 'POST', { source_ids: ids }))} />
      {detail.session.session_id && (
        <>
          <h2>Session {detail.session.session_id}</h2>
          <ol class="timeline">
            {detail.session.events.map((e) => <li key={e.event_id} class={e.level}><time>{when(e.timestamp)}</time> <strong>{e.name}</strong> {e.message}</li>)}
          </ol>
        </>
      )}
    </article>
  );
}

/** The moves the API allows from the issue's status; resolving may name the version that carries the fix. */
function StatusForm({ allowed, onChange }: { allowed: Status[]; onChange: (body: { status: Status; resolved_at_version?: string }) => Promise<void> }): JSX.Element {
  const [to, setTo] = useState<Status | ''>('');
  const [version, setVersion] = useState('');
  const submit = (event: Event) => {
    event.preventDefault();
    if (!to) return;
    void onChange({ status: to, ...(to === 'resolved' && version.trim() && { resolved_at_version: version.trim() }) }).then(() => {
      setTo('');
      setVersion('');
    });
  };
  return (
    <form class="status-form" onSubmit={submit}>
      <label>
        Move to{' '}
        <select name="status" value={to} onChange={(e) => setTo(e.currentTarget.value as Status)}>
          <option value="">choose…</option>
          {allowed.map((s) => <option value={s} key={s}>{statusWords[s]}</option>)}
        </select>
      </label>
      {to === 'resolved' && (
        <label>
          Fixed in version{' '}
          <input name="resolved_at_version" value={version} placeholder="e.g. 2.4.1" onInput={(e) => setVersion(e.currentTarget.value)} />
        </label>
      )}
      <button type="submit" disabled={!to}>Apply</button>
    </form>
  );
}

function Comments({ comments, onAdd, onDelete }: { comments: Comment[]; onAdd: (body: string) => Promise<void>; onDelete: (id: string) => Promise<void> }): JSX.Element {
  const [body, setBody] = useState('');
  const submit = (event: Event) => {
    event.preventDefault();
    if (body.trim()) void onAdd(body).then(() => setBody(''));
  };
  return (
    <section class="comments" aria-labelledby="comments-title">
      <h2 id="comments-title">Comments</h2>
      {comments.length === 0 && <p class="empty">No comments yet.</p>}
      <ol>
        {comments.map((c) => (
          <li key={c.id} class="comment">
            <header>
              <strong>{c.author_name}</strong> <span class="muted">{c.author_type === 'agent' ? 'agent' : ''} {when(c.created_at)}{c.edited_at && ' (edited)'}</span>
              <button type="button" class="link" onClick={() => void onDelete(c.id)} aria-label={`Delete comment by ${c.author_name}`}>Delete</button>
            </header>
            {/* micromark escapes raw HTML and unsafe URLs: the markup it returns runs no script. */}
            <div class="markdown" dangerouslySetInnerHTML={{ __html: renderMarkdown(c.body) }} />
          </li>
        ))}
      </ol>
      <form onSubmit={submit}>
        <label>
          Add a comment (markdown)
          <textarea name="comment" rows={3} value={body} onInput={(e) => setBody(e.currentTarget.value)} />
        </label>
        <button type="submit" disabled={!body.trim()}>Comment</button>
      </form>
    </section>
  );
}

const snoozes = [['1 hour', 3_600_000], ['1 day', 86_400_000], ['1 week', 7 * 86_400_000]] as const;

/** Keeps an open issue out of digests for a while, or wakes it; a resolved issue sends none anyway. */
function Snooze({ issue, onChange }: { issue: Issue; onChange: (until: string | null) => Promise<void> }): JSX.Element | null {
  if (issue.status === 'resolved') return null;
  const snoozed = issue.snoozed_until !== null && Date.parse(issue.snoozed_until) > Date.now();
  return (
    <p class="snooze">
      {snoozed ? (
        <>Snoozed until {when(issue.snoozed_until)} <button type="button" onClick={() => void onChange(null)}>Wake</button></>
      ) : (
        <>Snooze for {snoozes.map(([label, ms]) => <button type="button" key={label} onClick={() => void onChange(new Date(Date.now() + ms).toISOString())}>{label}</button>)}</>
      )}
    </p>
  );
}

/** Merges other open issues of the same app and data mode into this one (their fingerprints, occurrences and comments move here). */
function MergeForm({ scope, issue, fingerprints, onMerge }: { scope: Scope; issue: Issue; fingerprints: number; onMerge: (ids: string[]) => Promise<void> }): JSX.Element {
  const [others, setOthers] = useState<Issue[]>([]);
  const [chosen, setChosen] = useState<string[]>([]);
  useEffect(() => {
    const q = new URLSearchParams({ app_id: issue.app_id, data_mode: issue.is_dev ? 'development' : 'production', status: 'new,in_progress,regressed,silenced', limit: '50' });
    api<{ issues: Issue[] }>(`/v1/issues?${q}`, { project: scope.project.id }).then((r) => setOthers(r.issues.filter((i) => i.id !== issue.id)), () => setOthers([]));
    // Asked again after a merge or a split (the fingerprints change): a merged issue is no longer offered.
  }, [issue.id, scope.project.id, fingerprints]);
  if (others.length === 0) return <></>;
  return (
    <form class="merge" onSubmit={(e) => { e.preventDefault(); if (chosen.length > 0) void onMerge(chosen).then(() => setChosen([])); }}>
      <fieldset>
        <legend>Merge into this issue</legend>
        {others.map((o) => (
          <label key={o.id} class="check"><input type="checkbox" checked={chosen.includes(o.id)} onChange={(e) => setChosen(e.currentTarget.checked ? [...chosen, o.id] : chosen.filter((c) => c !== o.id))} /> {o.title}</label>
        ))}
      </fieldset>
      <button type="submit" disabled={chosen.length === 0}>Merge</button>
    </form>
  );
}
