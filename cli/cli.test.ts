/**
 * `strix` as a user runs it, against an embedded Strix on a real port: signing
 * in and profiles, listings in each format, and the exit codes scripts rely on.
 */
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { closedPortUrl } from '@strix/testkit/closed-port';
import { json, startCliWorld, type CliWorld } from './cli.fixture.ts';

interface EventJson {
  event_id: string;
  name: string;
  level: string;
  user_id: string;
  kind: string;
}


describe('strix CLI against a running Strix', { timeout: 180_000 }, () => {
  let w: CliWorld;
  before(async () => {
    w = await startCliWorld();
  });
  after(async () => w.close());

  it('signs in with an agent key from stdin, checked by the server, into a private profile file', async () => {
    const refused = await w.strix(['login', '--url', w.url], { input: 'strix_agent_000000000000000000000000000000000000000000000000\n' });
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /401 unauthorized\): unknown API key/);
    await assert.rejects(stat(join(w.home, 'config', 'strix', 'profiles.json')), { code: 'ENOENT' }, 'a refused key is not saved');

    const client = await w.strix(['login', '--url', w.url], { input: w.h.credentials.clientKey });
    assert.equal(client.code, 2, client.stderr);
    assert.match(client.stderr, /that is a client key .*agent key/);

    const signed = await w.strix(['login', '--url', w.url], { input: `${w.h.credentials.agentKey}\n` });
    assert.equal(signed.code, 0, signed.stderr);
    assert.match(signed.stdout, /saved as profile default \(the default\)/);
    const file = await stat(join(w.home, 'config', 'strix', 'profiles.json'));
    assert.equal(file.mode & 0o777, 0o600);
    assert.equal((await stat(join(w.home, 'config', 'strix'))).mode & 0o777, 0o700);

    const staging = await w.strix(['login', '--profile', 'staging', '--url', w.url, '--key', w.h.credentials.agentKey]);
    assert.equal(staging.code, 0, staging.stderr);
    const profiles = json<{ name: string; default: boolean; url: string; key_prefix: string }[]>(await w.strix(['profiles', '--format', 'json']));
    assert.deepEqual(
      profiles.map((p) => [p.name, p.default, p.url]),
      [
        ['default', true, w.url],
        ['staging', false, w.url],
      ],
    );
    assert.ok(!JSON.stringify(profiles).includes(w.h.credentials.agentKey), 'profiles never prints a key');

    // The profile is used with no variables set; --profile picks another; STRIX_KEY overrides the profile's key.
    const keys = json<{ key_type: string; project_id: string }[]>(await w.strix(['keys', '-f', 'json', '--profile', 'staging']));
    assert.deepEqual(keys.map((k) => [k.key_type, k.project_id]), [['agent', w.h.credentials.projectId]]);
    assert.equal((await w.strix(['projects', '--profile', 'nope'])).code, 2);
    const overridden = await w.strix(['projects'], { env: { STRIX_KEY: 'strix_agent_revoked' } });
    assert.equal(overridden.code, 1);
    assert.match(overridden.stderr, /unknown API key/);
  });

  it('lists events as JSON, CSV and an aligned table, with the API’s filters', async () => {
    const all = json<EventJson[]>(await w.agent(['events', 'list', '--format', 'json', '--limit', '1000']));
    const kinds = all.reduce<Record<string, number>>((n, e) => ({ ...n, [e.kind]: (n[e.kind] ?? 0) + 1 }), {});
    assert.deepEqual(kinds, { log: 10, metric: 5 }, 'six product events, four errors and five metric points');
    const errors = json<EventJson[]>(await w.agent(['events', 'list', '--level', 'error', '--format', 'json']));
    assert.deepEqual(new Set(errors.map((e) => e.level)), new Set(['error']));
    assert.equal(errors.length, 4);
    const u2 = json<EventJson[]>(await w.agent(['events', 'list', '--user', 'u2', '--name', 'signup', '-f', 'json']));
    assert.deepEqual(u2.map((e) => [e.user_id, e.name]), [['u2', 'signup']]);

    // Paged by the CLI: --limit 3 is three events, and the next page starts after them.
    const first = json<EventJson[]>(await w.agent(['events', 'list', '--limit', '3', '-f', 'json']));
    assert.equal(first.length, 3);
    assert.deepEqual(first.map((e) => e.event_id), all.slice(0, 3).map((e) => e.event_id));

    const csv = await w.agent(['events', 'list', '--name', 'app_open', '--format', 'csv']);
    assert.equal(csv.code, 0, csv.stderr);
    const lines = csv.stdout.trimEnd().split('\r\n');
    const header = lines[0]?.split(',') ?? [];
    assert.deepEqual(header.slice(0, 3), ['event_id', 'timestamp', 'received_at']);
    assert.equal(lines.length, 4, 'a header and three app_open events');
    const nameColumn = header.indexOf('name');
    assert.deepEqual(new Set(lines.slice(1).map((l) => l.split(',')[nameColumn])), new Set(['app_open']));

    const table = await w.agent(['events', 'list', '--level', 'error']);
    assert.equal(table.code, 0, table.stderr);
    const rows = table.stdout.trimEnd().split('\n');
    assert.match(rows[0] ?? '', /^timestamp +level +name +message +user_id +session_id +app_version$/);
    assert.equal(rows.length, 5);
    assert.ok(rows.slice(1).every((r) => / error /.test(r)));
    // Columns line up: each row's level starts where the header's does.
    const levelAt = rows[0]?.indexOf('level');
    assert.ok(rows.slice(1).every((r) => r.indexOf('error') === levelAt));
  });

  it('lists the project, its apps and event names', async () => {
    const [project] = json<{ id: string }[]>(await w.agent(['projects', '-f', 'json']));
    assert.equal(project?.id, w.h.credentials.projectId);
    const apps = json<{ id: string }[]>(await w.agent(['apps', '-f', 'json']));
    assert.deepEqual(apps.map((a) => a.id), [w.h.credentials.appId]);
    const names = await w.agent(['events', 'names', '-f', 'csv']);
    assert.match(names.stdout, /^name,events\r\ncheckout\.duration,4\r\napp_open,3\r\nsignup,2\r\n/);
  });

  it('exits 2 on usage errors, 1 when the server refuses, 3 when it cannot be reached or fails', async () => {
    const unknownOption = await w.agent(['events', 'list', '--bogus']);
    assert.equal(unknownOption.code, 2);
    assert.match(unknownOption.stderr, /Unknown option '--bogus'[\s\S]*strix events list --help/);
    assert.equal((await w.agent(['issues', 'show'])).code, 2, 'a missing argument');
    assert.equal((await w.agent(['events', 'lisst'])).code, 2, 'an unknown command');
    assert.equal((await w.agent(['events', 'list', '--format', 'xml'])).code, 2, 'a format not offered');
    const nowhere = await w.strix(['events', 'list'], { env: { XDG_CONFIG_HOME: join(w.home, 'no-profiles') } });
    assert.equal(nowhere.code, 2, 'not signed in');
    assert.match(nowhere.stderr, /not signed in: run strix login/);

    const refused = await w.agent(['events', 'list', '--from', 'yesterday-ish']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /400 bad_request\): query parameter from: must be an ISO-8601 time/);
    const missing = await w.agent(['issues', 'show', 'iss_nope']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /404/);

    const down = await closedPortUrl();
    const unreachable = await w.strix(['events', 'list'], { env: { STRIX_URL: down, STRIX_KEY: w.h.credentials.agentKey } });
    assert.equal(unreachable.code, 3);
    assert.match(unreachable.stderr, new RegExp(`cannot reach ${down}: ECONNREFUSED`));
  });

  it('exits 3 with the message of a server that fails (5xx)', async () => {
    // A stand-in: making the real server fail on purpose is not what this checks.
    const failing: Server = createServer((_request, response) => {
      response.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'internal', message: 'internal error' }));
    });
    await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = failing.address() as AddressInfo;
      const run = await w.strix(['issues', 'list'], { env: { STRIX_URL: `http://127.0.0.1:${port}`, STRIX_KEY: 'strix_agent_x' } });
      assert.equal(run.code, 3);
      assert.match(run.stderr, /the server failed \(500\): internal: internal error/);
    } finally {
      await new Promise((resolve) => failing.close(resolve));
    }
  });

  it('prints bash completion that completes commands, options and their values', async () => {
    const script = await w.strix(['completion', 'bash']);
    assert.equal(script.code, 0, script.stderr);
    const { spawnSync } = await import('node:child_process');
    const complete = (line: string) => {
      const words = line.split(' ');
      const program = `${script.stdout}\nCOMP_WORDS=(${words.map((x) => `'${x}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _strix; printf '%s\\n' "\${COMPREPLY[@]}"`;
      const result = spawnSync('bash', ['-c', program], { encoding: 'utf8' });
      assert.equal(result.status, 0, result.stderr);
      return result.stdout.trim().split('\n').filter(Boolean);
    };
    assert.deepEqual(complete('strix iss'), ['issues']);
    assert.deepEqual(complete('strix issues re'), ['resolve', 'reopen']);
    assert.ok(complete('strix events list --').includes('--data-mode'));
    assert.deepEqual(complete('strix events list --level e'), ['error']);
    assert.deepEqual(complete('strix --profile x events list -f '), ['table', 'json', 'csv']);
    assert.deepEqual(complete('strix audience '), ['active', 'screens', 'live']);
    assert.deepEqual(complete('strix issues show '), [], 'an issue id is not guessed');
  });
});
