/**
 * Fills an embedded Strix with other tenants' projects and keys through its
 * API, as a real install has them: the benches then authenticate against a
 * key registry of that size. Signs in with the first start's owner link.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

interface Credentials {
  projectId: string;
  signInUrl: string;
}

export interface Tenants {
  projects: number;
  keys: number;
  seconds: number;
}

/** Adds projects (one web app and its client key each) and agent keys until the install has `projects` and `keys`. */
export async function seedTenants(url: string, dataDir: string, projects: number, keys: number): Promise<Tenants> {
  const started = performance.now();
  const { projectId, signInUrl } = JSON.parse(await readFile(join(dataDir, 'credentials.json'), 'utf8')) as Credentials;
  const link = new URL(new URL(signInUrl).pathname, url);
  const signedIn = await fetch(link, { headers: { accept: 'application/json' } });
  if (!signedIn.ok) throw new Error(`owner link: ${signedIn.status} ${await signedIn.text()}`);
  const cookies = new Map(signedIn.headers.getSetCookie().map((c) => c.split(';')[0]!.split('=') as [string, string]));
  const session = { cookie: `strix_session=${cookies.get('strix_session')}; strix_csrf=${cookies.get('strix_csrf')}`, 'x-strix-csrf': cookies.get('strix_csrf')! };
  const { teams } = (await signedIn.json()) as { teams: { id: string }[] };

  async function post<T>(path: string, body: unknown): Promise<T> {
    const res = await fetch(new URL(path, url), { method: 'POST', headers: { ...session, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (res.status !== 201) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  // The default project has an app, its client key and an agent key.
  const projectIds = [projectId];
  let made = 2;
  for (let i = projectIds.length; i < projects; i++) {
    const { id } = await post<{ id: string }>(`/v1/teams/${teams[0]!.id}/projects`, { name: `Tenant ${i}` });
    await post(`/v1/projects/${id}/apps`, { name: `Web ${i}`, platform: 'web', bundle_id: `tenant-${i}.example` });
    projectIds.push(id);
    made += 1;
  }
  for (let i = 0; made < keys; i++, made++) {
    await post(`/v1/projects/${projectIds[i % projectIds.length]}/keys`, { type: 'agent', name: `agent ${i}` });
  }
  return { projects: projectIds.length, keys: made, seconds: (performance.now() - started) / 1000 };
}
