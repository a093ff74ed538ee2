import type { JSX } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiFailure, api } from '../api.ts';
import { duration, percent } from '../format.ts';
import { BarChart, LineChart } from '../chart.tsx';
import { ranges, readFilters, type Scope } from '../scope.ts';
import { navigate, withQuery } from '../url.ts';

const ops = ['eq', 'neq', 'contains', 'gt', 'lt', 'exists'] as const;
const opWords: Record<(typeof ops)[number], string> = { eq: 'is', neq: 'is not', contains: 'contains', gt: '>', lt: '<', exists: 'is set' };
const properties = ['screen_name', 'app_version', 'environment', 'country', 'os_version', 'device_model'];

interface Filter { property: string; op: (typeof ops)[number]; value?: string }
interface Step { event: string; where?: Filter[] }
interface Exclusion extends Step { from_step?: number; to_step?: number }
export interface Definition { steps: Step[]; mode: 'closed' | 'open'; window_seconds: number; strict_order: boolean; exclusions: Exclusion[]; by: 'user' | 'session' }
type Breakdown = { experiment: string } | { property: 'app_version' | 'environment' } | { user_property: string };

interface StepResult { event: string; count: number; conversion_rate: number; step_conversion_rate: number; drop_off: number; drop_off_rate: number; median_seconds_to_convert: number | null }
interface Group { value: string | null; steps: StepResult[]; totals: { entered: number; converted: number; conversion_rate: number; median_seconds_to_convert: number | null } }
interface Variant { variant: string; users: number; conversions: number; rate: number; rate_ci: number[]; sample_too_small: boolean; vs_control?: { difference: number; difference_ci: number[]; p_value: number; significant: boolean } }
interface Report { groups: Group[]; experiment?: { control: string; confidence: number; verdict: string; variants: Variant[] } }
interface Saved extends Definition { id: string; name: string; created_at: string; updated_at: string }

const blank: Definition = { steps: [{ event: '' }, { event: '' }], mode: 'closed', window_seconds: 86_400, strict_order: false, exclusions: [], by: 'user' };

function parseJson<T>(text: string | null): T | undefined {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

/**
 * Funnels: build one (the definition lives in the URL, so a link reopens it),
 * run it over the chosen range and data mode, break it down, and save, rename,
 * delete and reopen saved ones (`/funnels/<id>`).
 */
export function FunnelsPage({ scope, url, funnelId }: { scope: Scope; url: URL; funnelId?: string }): JSX.Element {
  const project = scope.project.id;
  const [saved, setSaved] = useState<Saved[]>([]);
  const [current, setCurrent] = useState<Saved>();
  const [names, setNames] = useState<string[]>([]);
  const [report, setReport] = useState<Report>();
  const [trend, setTrend] = useState<Trend>();
  const interval = url.searchParams.get('interval') === 'week' ? 'week' : 'day';
  const [problem, setProblem] = useState<string>();
  const fromUrl = parseJson<Definition>(url.searchParams.get('f'));
  const breakdown = parseJson<Breakdown>(url.searchParams.get('breakdown'));
  const definition = fromUrl ?? current ?? blank;
  const range = useMemo(() => {
    const to = Date.now();
    return { from: to - ranges[scope.range], to };
  }, [scope.range, url.search]);
  const fail = (error: unknown) => setProblem(error instanceof ApiFailure ? error.message : String(error));

  const loadSaved = () => api<{ funnels: Saved[] }>('/v1/funnels?limit=100', { project }).then((r) => setSaved(r.funnels), fail);
  useEffect(() => void loadSaved(), [project]);
  useEffect(() => {
    setCurrent(undefined);
    if (funnelId) api<{ funnel: Saved }>(`/v1/funnels/${encodeURIComponent(funnelId)}`, { project }).then((r) => setCurrent(r.funnel), fail);
  }, [funnelId, project]);
  // The autocomplete offers the most frequent names, then those containing what is typed in an event field.
  const [search, setSearch] = useState('');
  useEffect(() => {
    const q = new URLSearchParams({ from: new Date(range.from).toISOString(), to: new Date(range.to).toISOString(), ...readFilters(scope), limit: '50', ...(search && { q: search }) });
    let current = true;
    const timer = setTimeout(() => {
      api<{ names: { name: string }[] }>(`/v1/events/names?${q}`, { project }).then((r) => current && setNames(r.names.map((n) => n.name)), () => current && setNames([]));
    }, search ? 150 : 0);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [project, scope.dataMode, scope.appId, range.from, search]);
  const onNameInput = (event: Event) => {
    const field = event.target;
    if (field instanceof HTMLInputElement && field.list?.id === 'event-names') setSearch(field.value.trim().slice(0, 200));
  };

  const runnable = definition.steps.length >= 2 && definition.steps.every((s) => s.event.trim() !== '') && (!funnelId || current !== undefined || fromUrl !== undefined);
  const key = JSON.stringify([definition, breakdown, scope.dataMode, scope.appId, range.from, project]);
  useEffect(() => {
    setReport(undefined);
    if (!runnable) return;
    setProblem(undefined);
    const body = { ...strip(definition), from: range.from, to: range.to, ...readFilters(scope), ...(breakdown && { breakdown }) };
    api<Report>('/v1/funnels/query', { method: 'POST', body, project }).then(setReport, fail);
  }, [key]);
  useEffect(() => {
    setTrend(undefined);
    if (!runnable) return;
    const body = { ...strip(definition), from: range.from, to: range.to, ...readFilters(scope), interval };
    api<Trend>('/v1/funnels/trend', { method: 'POST', body, project }).then(setTrend, fail);
  }, [JSON.stringify([definition, scope.dataMode, scope.appId, range.from, project, interval])]);

  const apply = (next: Definition, nextBreakdown = breakdown) =>
    navigate(withQuery({ f: JSON.stringify(strip(next)), breakdown: nextBreakdown ? JSON.stringify(nextBreakdown) : undefined }), true);
  const saveAs = async (name: string) => {
    try {
      const { funnel } = await api<{ funnel: Saved }>('/v1/funnels', { method: 'POST', body: { name, ...strip(definition) }, project });
      await loadSaved();
      navigate(withQuery({ f: undefined }, new URL(`/funnels/${encodeURIComponent(funnel.id)}`, location.href)));
    } catch (error) {
      fail(error);
    }
  };
  const change = async (work: () => Promise<unknown>) => {
    try {
      await work();
      await loadSaved();
    } catch (error) {
      fail(error);
    }
  };

  return (
    <section aria-labelledby="funnels-title">
      <h1 id="funnels-title">{current ? current.name : 'Funnels'}</h1>
      <datalist id="event-names">{names.map((n) => <option value={n} key={n} />)}</datalist>
      <div onInput={onNameInput}>
        <Builder definition={definition} breakdown={breakdown} onRun={apply} />
      </div>
      {problem && <p role="alert" class="problem">{problem}</p>}
      {report && <FunnelReport report={report} />}
      {trend && <FunnelTrend trend={trend} />}
      <SavedFunnels
        saved={saved}
        current={current}
        onSave={(name) => void saveAs(name)}
        onUpdate={(id, body) => void change(() => api(`/v1/funnels/${encodeURIComponent(id)}`, { method: 'PATCH', body, project }))}
        onDelete={(id) => void change(async () => {
          await api(`/v1/funnels/${encodeURIComponent(id)}`, { method: 'DELETE', project });
          if (id === funnelId) navigate(withQuery({}, new URL('/funnels', location.href)));
        })}
        definition={strip(definition)}
      />
    </section>
  );
}

/** The definition as the API takes it: no empty filters, no saved funnel's id or times. */
function strip(d: Definition): Definition {
  const step = (s: Step): Step => ({ event: s.event.trim(), ...(s.where && s.where.length > 0 && { where: s.where.filter((w) => w.property) }) });
  return {
    steps: d.steps.map(step),
    mode: d.mode,
    window_seconds: d.window_seconds,
    strict_order: d.strict_order,
    exclusions: d.mode === 'closed' ? d.exclusions.filter((x) => x.event.trim()).map((x) => ({ ...step(x), ...(x.from_step && { from_step: x.from_step }), ...(x.to_step && { to_step: x.to_step }) })) : [],
    by: d.by,
  };
}

function Builder({ definition, breakdown, onRun }: { definition: Definition; breakdown: Breakdown | undefined; onRun: (d: Definition, b?: Breakdown) => void }): JSX.Element {
  const [draft, setDraft] = useState<Definition>(definition);
  const [split, setSplit] = useState<Breakdown | undefined>(breakdown);
  useEffect(() => setDraft(definition), [JSON.stringify(definition)]);
  useEffect(() => setSplit(breakdown), [JSON.stringify(breakdown)]);
  const setStep = (i: number, step: Step) => setDraft({ ...draft, steps: draft.steps.map((s, j) => (j === i ? step : s)) });
  const splitKind = split === undefined ? '' : 'experiment' in split ? 'experiment' : 'user_property' in split ? 'user_property' : split.property;
  const splitValue = split && 'experiment' in split ? split.experiment : split && 'user_property' in split ? split.user_property : '';
  const setSplitKind = (kind: string, value = splitValue) =>
    setSplit(kind === '' ? undefined : kind === 'experiment' ? { experiment: value } : kind === 'user_property' ? { user_property: value } : { property: kind as 'app_version' | 'environment' });

  return (
    <form
      class="builder"
      onSubmit={(e) => {
        e.preventDefault();
        onRun(draft, split && ('experiment' in split ? split.experiment : 'user_property' in split ? split.user_property : true) ? split : undefined);
      }}
    >
      <ol class="steps">
        {draft.steps.map((step, i) => (
          <li key={i}>
            <label>
              Step {i + 1}{' '}
              <input list="event-names" required value={step.event} aria-label={`Step ${i + 1} event`} onInput={(e) => setStep(i, { ...step, event: e.currentTarget.value })} />
            </label>
            {(step.where ?? []).map((w, k) => (
              <span class="filter" key={k}>
                <select aria-label={`Step ${i + 1} filter ${k + 1} property`} value={w.property} onChange={(e) => setStep(i, { ...step, where: step.where!.map((x, j) => (j === k ? { ...x, property: e.currentTarget.value } : x)) })}>
                  {properties.map((p) => <option value={p} key={p}>{p}</option>)}
                </select>
                <select aria-label={`Step ${i + 1} filter ${k + 1} operator`} value={w.op} onChange={(e) => setStep(i, { ...step, where: step.where!.map((x, j) => (j === k ? { ...x, op: e.currentTarget.value as Filter['op'] } : x)) })}>
                  {ops.map((o) => <option value={o} key={o}>{opWords[o]}</option>)}
                </select>
                {w.op !== 'exists' && <input aria-label={`Step ${i + 1} filter ${k + 1} value`} value={w.value ?? ''} onInput={(e) => setStep(i, { ...step, where: step.where!.map((x, j) => (j === k ? { ...x, value: e.currentTarget.value } : x)) })} />}
                <button type="button" class="link" onClick={() => setStep(i, { ...step, where: step.where!.filter((_, j) => j !== k) })}>remove</button>
              </span>
            ))}
            <button type="button" class="link" onClick={() => setStep(i, { ...step, where: [...(step.where ?? []), { property: 'app_version', op: 'eq', value: '' }] })}>+ filter</button>
            {draft.steps.length > 2 && <button type="button" class="link" onClick={() => setDraft({ ...draft, steps: draft.steps.filter((_, j) => j !== i) })}>remove step</button>}
          </li>
        ))}
      </ol>
      {draft.steps.length < 20 && <button type="button" onClick={() => setDraft({ ...draft, steps: [...draft.steps, { event: '' }] })}>Add a step</button>}
      <div class="options">
        <label>Mode <select value={draft.mode} onChange={(e) => setDraft({ ...draft, mode: e.currentTarget.value as Definition['mode'] })}><option value="closed">closed (from step 1)</option><option value="open">open (enter at any step)</option></select></label>
        <label>Within <input type="number" min={1} max={90 * 24} value={Math.round(draft.window_seconds / 3600)} onInput={(e) => setDraft({ ...draft, window_seconds: Math.max(1, Number(e.currentTarget.value) || 1) * 3600 })} /> hours</label>
        <label><input type="checkbox" checked={draft.strict_order} onChange={(e) => setDraft({ ...draft, strict_order: e.currentTarget.checked })} /> strict order</label>
        <label>Count <select value={draft.by} onChange={(e) => setDraft({ ...draft, by: e.currentTarget.value as Definition['by'] })}><option value="user">people</option><option value="session">sessions</option></select></label>
        <label>
          Breakdown{' '}
          <select value={splitKind} onChange={(e) => setSplitKind(e.currentTarget.value)}>
            <option value="">none</option><option value="experiment">experiment</option><option value="app_version">app version</option><option value="environment">environment</option><option value="user_property">user property</option>
          </select>
        </label>
        {(splitKind === 'experiment' || splitKind === 'user_property') && <input aria-label="Breakdown name" required value={splitValue} onInput={(e) => setSplitKind(splitKind, e.currentTarget.value)} />}
      </div>
      {draft.mode === 'closed' && (
        <div class="exclusions">
          {draft.exclusions.map((x, i) => (
            <span key={i}>
              Exclude <input list="event-names" aria-label={`Exclusion ${i + 1} event`} value={x.event} onInput={(e) => setDraft({ ...draft, exclusions: draft.exclusions.map((y, j) => (j === i ? { ...y, event: e.currentTarget.value } : y)) })} />
              <button type="button" class="link" onClick={() => setDraft({ ...draft, exclusions: draft.exclusions.filter((_, j) => j !== i) })}>remove</button>
            </span>
          ))}
          <button type="button" class="link" onClick={() => setDraft({ ...draft, exclusions: [...draft.exclusions, { event: '' }] })}>+ exclusion</button>
        </div>
      )}
      <button type="submit">Run</button>
    </form>
  );
}

function FunnelReport({ report }: { report: Report }): JSX.Element {
  return (
    <div class="report">
      {report.experiment && (
        <section aria-label="Experiment">
          <p class="verdict"><strong>{report.experiment.verdict}</strong></p>
          <table>
            <caption>Variants (control {report.experiment.control}, {percent(report.experiment.confidence)} confidence)</caption>
            <thead><tr><th scope="col">Variant</th><th scope="col" class="num">People</th><th scope="col" class="num">Converted</th><th scope="col" class="num">Rate</th><th scope="col">Interval</th><th scope="col">vs control</th></tr></thead>
            <tbody>
              {report.experiment.variants.map((v) => (
                <tr key={v.variant}>
                  <td>{v.variant}</td><td class="num">{v.users}</td><td class="num">{v.conversions}</td><td class="num">{percent(v.rate)}</td>
                  <td>{percent(v.rate_ci[0] ?? 0)} – {percent(v.rate_ci[1] ?? 0)}{v.sample_too_small && ' (too few people)'}</td>
                  <td>{v.vs_control ? `${v.vs_control.difference >= 0 ? '+' : ''}${percent(v.vs_control.difference)}, p = ${v.vs_control.p_value.toFixed(3)}${v.vs_control.significant ? ', significant' : ''}` : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
      {report.groups.map((g) => (
        <section key={g.value ?? ''} class="group" aria-label={g.value === null ? 'Funnel' : `Breakdown ${g.value}`}>
          {g.value !== null && <h2>{g.value || '(none)'}</h2>}
          <p>{g.totals.entered} entered, {g.totals.converted} converted ({percent(g.totals.conversion_rate)}), median time to convert {duration(g.totals.median_seconds_to_convert)}</p>
          <BarChart categories={g.steps.map((s) => s.event)} values={g.steps.map((s) => s.count)} label={`People at each step${g.value ? ` (${g.value})` : ''}`} />
          <table class="funnel-steps">
            <thead><tr><th scope="col">Step</th><th scope="col" class="num">Count</th><th scope="col" class="num">Conversion</th><th scope="col" class="num">From previous</th><th scope="col" class="num">Drop-off</th><th scope="col" class="num">Median time</th></tr></thead>
            <tbody>
              {g.steps.map((s, i) => (
                <tr key={i}><td>{i + 1}. {s.event}</td><td class="num">{s.count}</td><td class="num">{percent(s.conversion_rate)}</td><td class="num">{percent(s.step_conversion_rate)}</td><td class="num">{s.drop_off} ({percent(s.drop_off_rate)})</td><td class="num">{duration(s.median_seconds_to_convert)}</td></tr>
              ))}
            </tbody>
          </table>
        </section>
      ))}
    </div>
  );
}

function SavedFunnels({ saved, current, definition, onSave, onUpdate, onDelete }: {
  saved: Saved[];
  current: Saved | undefined;
  definition: Definition;
  onSave: (name: string) => void;
  onUpdate: (id: string, body: object) => void;
  onDelete: (id: string) => void;
}): JSX.Element {
  const [name, setName] = useState('');
  return (
    <aside class="saved" aria-labelledby="saved-title">
      <h2 id="saved-title">Saved funnels</h2>
      <form onSubmit={(e) => { e.preventDefault(); if (name.trim()) { onSave(name.trim()); setName(''); } }}>
        <label>Save this funnel as <input value={name} onInput={(e) => setName(e.currentTarget.value)} maxLength={200} /></label>
        <button type="submit" disabled={!name.trim()}>Save</button>
        {current && <button type="button" onClick={() => onUpdate(current.id, definition)}>Save changes to “{current.name}”</button>}
      </form>
      <ul>
        {saved.map((f) => (
          <li key={f.id}>
            <a href={withQuery({ f: undefined, breakdown: undefined }, new URL(`/funnels/${encodeURIComponent(f.id)}`, location.href))}>{f.name}</a>{' '}
            <span class="muted">{f.steps.map((s) => s.event).join(' → ')}</span>{' '}
            <button type="button" class="link" onClick={() => { const next = prompt('Rename the funnel', f.name); if (next?.trim()) onUpdate(f.id, { name: next.trim() }); }}>rename</button>
            <button type="button" class="link" onClick={() => { if (confirm(`Delete “${f.name}”?`)) onDelete(f.id); }}>delete</button>
          </li>
        ))}
      </ul>
      {saved.length === 0 && <p class="empty">None yet.</p>}
    </aside>
  );
}

interface Trend { interval: 'day' | 'week'; points: { period: string; entered: number; converted: number; conversion_rate: number }[] }

/** Conversion by the day or week people entered (`interval` in the URL), as a chart and its table. */
function FunnelTrend({ trend }: { trend: Trend }): JSX.Element {
  const x = trend.points.map((p) => Date.parse(`${p.period}T00:00:00Z`) / 1000);
  return (
    <section aria-labelledby="trend-title">
      <h2 id="trend-title">Conversion over time</h2>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          By{' '}
          <select value={trend.interval} onChange={(e) => navigate(withQuery({ interval: e.currentTarget.value === 'week' ? 'week' : undefined }), true)}>
            <option value="day">day of entry</option>
            <option value="week">week of entry</option>
          </select>
        </label>
      </form>
      <LineChart x={x} series={[{ name: 'conversion %', values: trend.points.map((p) => Math.round(p.conversion_rate * 1000) / 10) }]} label="Conversion rate by period of entry" />
      <table class="trend">
        <thead><tr><th scope="col">{trend.interval === 'week' ? 'Week of' : 'Day'} (UTC)</th><th scope="col" class="num">Entered</th><th scope="col" class="num">Converted</th><th scope="col" class="num">Conversion</th></tr></thead>
        <tbody>{[...trend.points].reverse().map((p) => <tr key={p.period}><td>{p.period}</td><td class="num">{p.entered}</td><td class="num">{p.converted}</td><td class="num">{percent(p.conversion_rate)}</td></tr>)}</tbody>
      </table>
      <p class="muted">Each person counts in the period they entered; the latest periods may still be converting.</p>
    </section>
  );
}
