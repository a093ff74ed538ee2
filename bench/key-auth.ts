/**
 * What authenticating a request costs with many keys present, and what the
 * once-a-second revision poll costs, on a real control plane (PGlite).
 *
 *   npm run bench:key-auth --workspace @strix/bench     (BENCH_KEYS, default 1000; BENCH_PROJECTS, default 100)
 *
 * Ingest authenticates every request in memory (a map by key hash); the
 * control plane is read only by the poll, and again only when it moved.
 */
import { createApp, createKey, createProject, createTeam, systemActor, type ControlPlane } from '@strix/control';
import { KeyRegistry } from '@strix/http';
import { openTestControl } from '@strix/testkit/control';

const keyCount = Number(process.env.BENCH_KEYS ?? 1000);
const projectCount = Number(process.env.BENCH_PROJECTS ?? 100);
const calls = 1_000_000;

async function seed(control: ControlPlane, projects: number, keys: number): Promise<string[]> {
  const actor = systemActor('bench');
  const secrets: string[] = [];
  await control.db.transaction(async (tx) => {
    const team = await createTeam(tx, { name: 'Bench' }, actor);
    for (let p = 0; p < projects; p++) {
      const project = await createProject(tx, team.id, { name: `Project ${p}` }, actor);
      const app = await createApp(tx, project.id, { name: 'web', platform: 'web', bundle_id: `p${p}.example` }, actor);
      for (let k = p; k < keys; k += projects) secrets.push((await createKey(tx, project.id, { type: 'client', appId: app.id }, actor)).secret);
    }
  });
  return secrets;
}

/** ns per authenticate() of one request's Authorization header. */
function authCost(registry: KeyRegistry, secret: string): number {
  const header = `Bearer ${secret}`;
  for (let i = 0; i < 50_000; i++) registry.authenticate(header, 'client', 'events:write');
  const started = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) registry.authenticate(header, 'client', 'events:write');
  return Number(process.hrtime.bigint() - started) / calls;
}

for (const [projects, keys] of [[1, 1], [projectCount, keyCount]] as const) {
  const control = await openTestControl();
  try {
    const secrets = await seed(control, projects, keys);
    const registry = new KeyRegistry(() => control.principals(), () => control.revision());
    let started = performance.now();
    await registry.refresh();
    const loadMs = performance.now() - started;
    started = performance.now();
    for (let i = 0; i < 100; i++) await registry.poll();
    const pollMs = (performance.now() - started) / 100;
    const ns = authCost(registry, secrets.at(-1)!);
    console.log(
      `${keys} keys in ${projects} projects: authenticate ${ns.toFixed(0)} ns a request (${(ns / 100).toFixed(1)} ns an event in batches of 100); ` +
        `loading every key ${loadMs.toFixed(1)} ms; a poll with no change ${pollMs.toFixed(2)} ms (once a second)`,
    );
  } finally {
    await control.close();
  }
}
