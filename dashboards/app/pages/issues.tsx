import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiFailure, api } from '../api.ts';
import { useApps } from '../apps.ts';
import { statusWords, statuses, when, type Issue } from '../issue-types.ts';
import type { Scope } from '../scope.ts';
import { navigate, withQuery } from '../url.ts';

const sorts = { last_seen: 'Last seen', first_seen: 'First seen', occurrences: 'Occurrences', users: 'Users' } as const;
const pageSize = 50;

interface IssuePage {
  issues: Issue[];
  total: number;
}

/** The project's issues, filtered and sorted by the URL (`status`, `q`, `sort`, `offset`), one page at a time. */
export function IssueList({ scope, url }: { scope: Scope; url: URL }): JSX.Element {
  const status = url.searchParams.get('status') ?? 'new,in_progress,regressed';
  const sort = url.searchParams.get('sort') ?? 'last_seen';
  const text = url.searchParams.get('q') ?? '';
  const offset = Math.max(0, Number(url.searchParams.get('offset') ?? 0) || 0);
  const appId = scope.appId ?? '';
  const [page, setPage] = useState<IssuePage>();
  const apps = useApps(scope.project.id);
  const appName = (id: string) => apps.find((a) => a.id === id)?.name ?? id;
  const [problem, setProblem] = useState<string>();

  useEffect(() => {
    const query = new URLSearchParams({ sort, data_mode: scope.dataMode, limit: String(pageSize), offset: String(offset) });
    if (status) query.set('status', status);
    if (text) query.set('q', text);
    if (appId) query.set('app_id', appId);
    let current = true;
    setProblem(undefined);
    api<IssuePage>(`/v1/issues?${query}`, { project: scope.project.id }).then(
      (answer) => current && setPage(answer),
      (error: unknown) => current && setProblem(error instanceof ApiFailure ? error.message : String(error)),
    );
    return () => void (current = false);
  }, [scope.project.id, scope.dataMode, status, sort, text, offset, appId]);

  const set = (changes: Record<string, string | undefined>) => navigate(withQuery({ ...changes, offset: undefined }), true);
  return (
    <section aria-labelledby="issues-title">
      <h1 id="issues-title">Issues</h1>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Status{' '}
          <select value={status} onChange={(e) => set({ status: e.currentTarget.value })}>
            <option value="new,in_progress,regressed">Open</option>
            {statuses.map((s) => <option value={s} key={s}>{statusWords[s]}</option>)}
            <option value="">Any</option>
          </select>
        </label>
        <label>
          Sort{' '}
          <select value={sort} onChange={(e) => set({ sort: e.currentTarget.value })}>
            {Object.entries(sorts).map(([value, label]) => <option value={value} key={value}>{label}</option>)}
          </select>
        </label>
        <label>
          Search{' '}
          <input type="search" value={text} placeholder="title, culprit, type" onChange={(e) => set({ q: e.currentTarget.value })} />
        </label>
      </form>
      {problem && <p role="alert" class="problem">{problem}</p>}
      {page && (
        <>
          <table class="issues">
            <thead>
              <tr><th scope="col">Issue</th><th scope="col">Status</th><th scope="col">App</th><th scope="col">Versions</th><th scope="col" class="num">Occurrences</th><th scope="col" class="num">Users</th><th scope="col">Last seen</th></tr>
            </thead>
            <tbody>
              {page.issues.map((issue) => (
                <tr key={issue.id}>
                  <td>
                    <a href={withQuery({ project: scope.project.id }, new URL(`/issues/${encodeURIComponent(issue.id)}`, location.href))}>{issue.title}</a>
                    <div class="culprit">{issue.culprit}</div>
                  </td>
                  <td><span class={`status ${issue.status}`}>{statusWords[issue.status]}</span></td>
                  <td>{appName(issue.app_id)}</td>
                  <td>
                    {issue.last_app_version && <span class="badge" title="Latest version it occurred in">{issue.last_app_version}</span>}
                    {issue.status === 'resolved' && issue.resolved_at_version && <span class="badge" title="Resolved in this version">fixed in {issue.resolved_at_version}</span>}
                    {issue.regressed_in_version && <span class="badge warn" title="Came back in this version">regressed in {issue.regressed_in_version}</span>}
                  </td>
                  <td class="num">{issue.occurrences}</td>
                  <td class="num">{issue.users}</td>
                  <td>{when(issue.last_seen)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {page.issues.length === 0 && <p class="empty">No issues match.</p>}
          <nav class="pager" aria-label="Pages">
            <span>{page.total === 0 ? '0' : `${offset + 1}–${offset + page.issues.length}`} of {page.total}</span>
            <button type="button" disabled={offset === 0} onClick={() => navigate(withQuery({ offset: String(Math.max(0, offset - pageSize)) }))}>Previous</button>
            <button type="button" disabled={offset + pageSize >= page.total} onClick={() => navigate(withQuery({ offset: String(offset + pageSize) }))}>Next</button>
          </nav>
        </>
      )}
    </section>
  );
}
