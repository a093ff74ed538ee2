import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { allowedPermissions, defaultPermissions, keyTypes, type KeyType } from '@strix/contracts/permissions';
import { ApiFailure, api } from '../api.ts';
import { when } from '../issue-types.ts';
import type { Scope } from '../scope.ts';

const sections = { '': 'Project and apps', keys: 'Keys', members: 'Members', audit: 'Audit log' } as const;
type Section = keyof typeof sections;

interface ProjectJson { id: string; name: string; slug: string; issue_alert_frequency: string; retention_events_days: number; retention_metrics_days: number; retention_funnels_days: number }
interface AppJson { id: string; name: string; platform: string; bundle_id: string | null; environments: string[] }
interface KeyJson { id: string; type: KeyType; name: string; prefix: string; app_id: string | null; permissions: string[]; status: string; expires_at: string | null; created_at: string }
interface Member { user_id: string; email: string; name: string; role: string; joined_at: string }
interface Invitation { id: string; email: string; role: string; expires_at: string; expired: boolean }
interface AuditEntry { id: string; actor: { type: string; label: string }; action: string; target_type: string; target_id: string; ip: string; created_at: string }

const frequencies = ['none', 'hourly', '6_hourly', 'daily', 'weekly'];

/** Hook: runs `work`, shows its refusal in the API's words, and reloads. */
function useActions(reload: () => Promise<unknown>) {
  const [problem, setProblem] = useState<string>();
  const run = async <T,>(work: () => Promise<T>): Promise<T | undefined> => {
    setProblem(undefined);
    try {
      const result = await work();
      await reload();
      return result;
    } catch (error) {
      setProblem(error instanceof ApiFailure ? error.message : String(error));
      return undefined;
    }
  };
  return { problem, run };
}

/** Settings of the project and its team (`/settings`, `/settings/keys`, `/settings/members`, `/settings/audit`). */
export function SettingsPage({ scope, section }: { scope: Scope; section: string }): JSX.Element {
  const current = (section in sections ? section : '') as Section;
  return (
    <section aria-labelledby="settings-title">
      <h1 id="settings-title">Settings</h1>
      <nav class="tabs" aria-label="Settings">
        {Object.entries(sections).map(([path, label]) => (
          <a key={path} href={`/settings${path ? `/${path}` : ''}?project=${scope.project.id}`} aria-current={path === current ? 'page' : undefined}>{label}</a>
        ))}
      </nav>
      {current === '' && <ProjectSettings scope={scope} />}
      {current === 'keys' && <Keys scope={scope} />}
      {current === 'members' && <Members scope={scope} />}
      {current === 'audit' && <AuditLog scope={scope} />}
    </section>
  );
}

function ProjectSettings({ scope }: { scope: Scope }): JSX.Element {
  const base = `/v1/projects/${scope.project.id}`;
  const [project, setProject] = useState<ProjectJson>();
  const [apps, setApps] = useState<AppJson[]>([]);
  const [createdKey, setCreatedKey] = useState<string>();
  const load = async () => {
    setProject(await api<ProjectJson>(base));
    setApps((await api<{ apps: AppJson[] }>(`${base}/apps`)).apps);
  };
  const { problem, run } = useActions(load);
  useEffect(() => void run(async () => undefined), [scope.project.id]);
  const [app, setApp] = useState({ name: '', platform: 'web', bundle_id: '' });
  if (!project) return <p class="loading">{problem ?? 'Loading…'}</p>;
  const patch = (body: Record<string, unknown>) => void run(() => api(base, { method: 'PATCH', body }));
  return (
    <>
      {problem && <p role="alert" class="problem">{problem}</p>}
      <table class="facts">
        <caption>{project.name} ({project.slug})</caption>
        <tbody>
          <tr><th scope="row">Issue digests</th><td><select aria-label="Issue digests" value={project.issue_alert_frequency} onChange={(e) => patch({ issue_alert_frequency: e.currentTarget.value })}>{frequencies.map((f) => <option key={f} value={f}>{f.replace('_', ' ')}</option>)}</select></td></tr>
          {(['retention_events_days', 'retention_metrics_days', 'retention_funnels_days'] as const).map((field) => (
            <tr key={field}><th scope="row">{field.replace('retention_', 'Keep ').replace('_days', '')} (days)</th><td><input type="number" min={1} max={3650} value={project[field]} aria-label={field} onChange={(e) => patch({ [field]: Number(e.currentTarget.value) })} /></td></tr>
          ))}
        </tbody>
      </table>
      <h2>Apps</h2>
      <table>
        <thead><tr><th scope="col">Name</th><th scope="col">Platform</th><th scope="col">Bundle id</th><th scope="col">Environments</th><th scope="col">Actions</th></tr></thead>
        <tbody>
          {apps.map((a) => (
            <tr key={a.id}>
              <td>{a.name}</td><td>{a.platform}</td><td>{a.bundle_id ?? '—'}</td><td>{a.environments.join(', ')}</td>
              <td>
                <button type="button" onClick={() => {
                  const name = prompt(`Rename ${a.name} to`, a.name)?.trim();
                  if (name && name !== a.name) void run(() => api(`${base}/apps/${encodeURIComponent(a.id)}`, { method: 'PATCH', body: { name } }));
                }}>Rename</button>{' '}
                <button type="button" onClick={() => {
                  if (confirm(`Delete ${a.name}? Its keys stop working at once; its events stay.`)) void run(() => api(`${base}/apps/${encodeURIComponent(a.id)}`, { method: 'DELETE' }));
                }}>Delete</button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form class="inline" onSubmit={(e) => {
        e.preventDefault();
        void run(async () => {
          const made = await api<{ client_key: { key: string } }>(`${base}/apps`, { method: 'POST', body: { name: app.name, platform: app.platform, ...(app.platform !== 'backend' && { bundle_id: app.bundle_id }) } });
          setCreatedKey(made.client_key.key);
          setApp({ name: '', platform: 'web', bundle_id: '' });
        });
      }}>
        <label>New app <input required value={app.name} onInput={(e) => setApp({ ...app, name: e.currentTarget.value })} /></label>
        <label>Platform <select value={app.platform} onChange={(e) => setApp({ ...app, platform: e.currentTarget.value })}>{['apple', 'android', 'web', 'backend'].map((p) => <option key={p}>{p}</option>)}</select></label>
        {app.platform !== 'backend' && <label>Bundle id <input required value={app.bundle_id} onInput={(e) => setApp({ ...app, bundle_id: e.currentTarget.value })} /></label>}
        <button type="submit">Create app</button>
      </form>
      {createdKey && <Secret secret={createdKey} what="The new app's client key" />}
    </>
  );
}

/** A secret shown once, right after it was made. */
function Secret({ secret, what }: { secret: string; what: string }): JSX.Element {
  return (
    <p class="secret" role="status">
      {what}, shown only now: <code data-testid="secret">{secret}</code>{' '}
      <button type="button" onClick={() => void navigator.clipboard?.writeText(secret)}>Copy</button>
    </p>
  );
}

function Keys({ scope }: { scope: Scope }): JSX.Element {
  const base = `/v1/projects/${scope.project.id}`;
  const [keys, setKeys] = useState<KeyJson[]>([]);
  const [apps, setApps] = useState<AppJson[]>([]);
  const [secret, setSecret] = useState<string>();
  const [type, setType] = useState<KeyType>('agent');
  const [name, setName] = useState('');
  const [appId, setAppId] = useState('');
  const [chosen, setChosen] = useState<string[]>([...defaultPermissions.agent]);
  const [expiresInDays, setExpiresInDays] = useState('');
  const load = async () => {
    setKeys((await api<{ keys: KeyJson[] }>(`${base}/keys`)).keys);
    setApps((await api<{ apps: AppJson[] }>(`${base}/apps`)).apps);
  };
  const { problem, run } = useActions(load);
  useEffect(() => void run(async () => undefined), [scope.project.id]);
  const pickType = (t: KeyType) => {
    setType(t);
    setChosen([...defaultPermissions[t]]);
  };
  const create = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      const made = await api<{ key: string }>(`${base}/keys`, { method: 'POST', body: { type, ...(name && { name }), ...(type !== 'agent' && { app_id: appId || apps[0]?.id }), permissions: chosen, ...(expiresInDays && { expires_at: Date.now() + Number(expiresInDays) * 86_400_000 }) } });
      setSecret(made.key);
      setName('');
    });
  };
  return (
    <>
      {problem && <p role="alert" class="problem">{problem}</p>}
      {secret && <Secret secret={secret} what="The new key" />}
      <form class="key-form" onSubmit={create}>
        <label>Type <select value={type} onChange={(e) => pickType(e.currentTarget.value as KeyType)}>{keyTypes.map((t) => <option key={t}>{t}</option>)}</select></label>
        <label>Name <input value={name} maxLength={100} onInput={(e) => setName(e.currentTarget.value)} /></label>
        <label>
          Expires{' '}
          <select value={expiresInDays} onChange={(e) => setExpiresInDays(e.currentTarget.value)}>
            <option value="">never</option>
            {[7, 30, 90, 365].map((d) => <option key={d} value={String(d)}>in {d} days</option>)}
          </select>
        </label>
        {type !== 'agent' && <label>App <select value={appId} onChange={(e) => setAppId(e.currentTarget.value)}>{apps.map((a) => <option key={a.id} value={a.id}>{a.name}</option>)}</select></label>}
        <fieldset>
          <legend>Permissions</legend>
          {allowedPermissions[type].map((p) => (
            <label key={p} class="check"><input type="checkbox" checked={chosen.includes(p)} onChange={(e) => setChosen(e.currentTarget.checked ? [...chosen, p] : chosen.filter((c) => c !== p))} /> {p}</label>
          ))}
        </fieldset>
        <button type="submit">Create key</button>
      </form>
      <table class="keys">
        <thead><tr><th scope="col">Name</th><th scope="col">Type</th><th scope="col">Key</th><th scope="col">Status</th><th scope="col">Permissions</th><th scope="col">Created</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
        <tbody>
          {keys.map((k) => (
            <tr key={k.id}>
              <td>{k.name || '—'}</td><td>{k.type}</td><td><code>{k.prefix}…</code></td>
              <td>{k.status}{k.expires_at && k.status !== 'revoked' ? ` until ${when(k.expires_at)}` : ''}</td>
              <td class="muted">{k.permissions.join(', ')}</td><td>{when(k.created_at)}</td>
              <td>
                {k.status !== 'revoked' && k.status !== 'expired' && (
                  <>
                    <button type="button" class="link" onClick={() => void run(async () => setSecret((await api<{ key: string }>(`${base}/keys/${k.id}/rotate`, { method: 'POST', body: {} })).key))}>Rotate</button>
                    <button type="button" class="link" aria-label={`Revoke ${k.name || k.prefix}`} onClick={() => { if (confirm(`Revoke ${k.name || k.prefix}? Apps using it stop at once.`)) void run(() => api(`${base}/keys/${k.id}`, { method: 'DELETE' })); }}>Revoke</button>
                  </>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function Members({ scope }: { scope: Scope }): JSX.Element {
  const base = `/v1/teams/${scope.project.teamId}`;
  const [members, setMembers] = useState<Member[]>([]);
  const [invitations, setInvitations] = useState<Invitation[]>([]);
  const [invite, setInvite] = useState({ email: '', role: 'member' });
  const [link, setLink] = useState<string>();
  const load = async () => {
    setMembers((await api<{ members: Member[] }>(`${base}/members?limit=200`)).members);
    setInvitations(await api<{ invitations: Invitation[] }>(`${base}/invitations`).then((r) => r.invitations, () => []));
  };
  const { problem, run } = useActions(load);
  useEffect(() => void run(async () => undefined), [scope.project.teamId]);
  return (
    <>
      {problem && <p role="alert" class="problem">{problem}</p>}
      <table>
        <thead><tr><th scope="col">Member</th><th scope="col">Role</th><th scope="col">Joined</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
        <tbody>
          {members.map((m) => (
            <tr key={m.user_id}>
              <td>{m.name || m.email} <span class="muted">{m.name ? m.email : ''}</span></td>
              <td><select aria-label={`Role of ${m.email}`} value={m.role} onChange={(e) => void run(() => api(`${base}/members/${m.user_id}`, { method: 'PATCH', body: { role: e.currentTarget.value } }))}>{['owner', 'admin', 'member'].map((r) => <option key={r}>{r}</option>)}</select></td>
              <td>{when(m.joined_at)}</td>
              <td><button type="button" class="link" onClick={() => { if (confirm(`Remove ${m.email} from the team?`)) void run(() => api(`${base}/members/${m.user_id}`, { method: 'DELETE' })); }}>Remove</button></td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Invitations</h2>
      <form class="inline" onSubmit={(e) => {
        e.preventDefault();
        void run(async () => {
          const sent = await api<{ invite_url: string; mailed: boolean }>(`${base}/invitations`, { method: 'POST', body: invite });
          setLink(sent.mailed ? undefined : sent.invite_url);
          setInvite({ email: '', role: 'member' });
        });
      }}>
        <label>Email <input type="email" required value={invite.email} onInput={(e) => setInvite({ ...invite, email: e.currentTarget.value })} /></label>
        <label>Role <select value={invite.role} onChange={(e) => setInvite({ ...invite, role: e.currentTarget.value })}>{['admin', 'member'].map((r) => <option key={r}>{r}</option>)}</select></label>
        <button type="submit">Invite</button>
      </form>
      {link && <Secret secret={link} what="No mail server is set up: hand over this invitation link" />}
      <ul>
        {invitations.map((i) => (
          <li key={i.id}>
            {i.email} as {i.role}, {i.expired ? 'expired' : `until ${when(i.expires_at)}`}{' '}
            <button type="button" class="link" onClick={() => void run(() => api(`${base}/invitations/${i.id}/resend`, { method: 'POST' }))}>Re-send</button>
            <button type="button" class="link" onClick={() => void run(() => api(`${base}/invitations/${i.id}`, { method: 'DELETE' }))}>Revoke</button>
          </li>
        ))}
      </ul>
    </>
  );
}

function AuditLog({ scope }: { scope: Scope }): JSX.Element {
  const [entries, setEntries] = useState<AuditEntry[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [problem, setProblem] = useState<string>();
  const page = async (after: string | null) => {
    try {
      const q = new URLSearchParams({ team_id: scope.project.teamId, project_id: scope.project.id, limit: '50', ...(after && { cursor: after }) });
      const answer = await api<{ entries: AuditEntry[]; next_cursor: string | null }>(`/v1/audit-log?${q}`);
      setEntries((shown) => (after ? [...shown, ...answer.entries] : answer.entries));
      setCursor(answer.next_cursor);
    } catch (error) {
      setProblem(error instanceof ApiFailure ? error.message : String(error));
    }
  };
  useEffect(() => void page(null), [scope.project.id]);
  return (
    <>
      {problem && <p role="alert" class="problem">{problem}</p>}
      <table class="audit">
        <thead><tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">Action</th><th scope="col">Target</th><th scope="col">From</th></tr></thead>
        <tbody>{entries.map((e) => <tr key={e.id}><td>{when(e.created_at)}</td><td>{e.actor.label || e.actor.type}</td><td><code>{e.action}</code></td><td>{e.target_type} <span class="muted">{e.target_id}</span></td><td>{e.ip || '—'}</td></tr>)}</tbody>
      </table>
      {cursor && <button type="button" onClick={() => void page(cursor)}>Older entries</button>}
    </>
  );
}
