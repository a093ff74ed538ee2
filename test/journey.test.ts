/**
 * One journey over every client Strix has: three apps — one instrumented with @strix/sdk, one with
 * posthog-node, one with @sentry/node, each unchanged — send to one embedded Strix, and a person
 * reads their events, a funnel and the issues back through the `strix` CLI.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import * as Sentry from '@sentry/node';
import { PostHog } from 'posthog-node';
import { init } from '@strix/sdk';
import { post, startHarness, type Harness } from '@strix/testkit/harness';

const strixBin = fileURLToPath(new URL('../cli/bin/strix.mjs', import.meta.url));

interface EventJson {
  name: string;
  level: string;
  message: string;
  user_id: string;
  app_version: string;
}

describe('a journey: @strix/sdk, posthog-node and @sentry/node into one Strix, read back with the CLI', { timeout: 240_000 }, () => {
  let h: Harness;
  let url: string;
  let home: string;

  before(async () => {
    h = await startHarness();
    url = await h.strix.app.listen({ port: 0, host: '127.0.0.1' });
    home = await mkdtemp(join(tmpdir(), 'strix-journey-'));
  });
  after(async () => {
    await Sentry.close(2_000);
    await h.close();
    await rm(home, { recursive: true, force: true });
  });

  /** `strix args…` as a person runs it, signed in with the agent key through the environment. */
  function strix(...args: string[]): Promise<unknown> {
    const child = spawn(process.execPath, [strixBin, ...args, '--format', 'json'], {
      env: { PATH: process.env.PATH ?? '', HOME: home, XDG_CONFIG_HOME: join(home, 'config'), STRIX_URL: url, STRIX_KEY: h.credentials.agentKey },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    return new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(JSON.parse(stdout)) : reject(new Error(`strix ${args.join(' ')} exited ${code}: ${stderr}`))));
    });
  }

  it('stores what each SDK sent, groups their errors into issues, and the CLI reads events, a funnel and issues back', async () => {
    // The app on Strix's own SDK.
    const sdk = init({ key: h.credentials.clientKey, endpoint: url, app_version: '3.1.0', environment: 'production' });
    sdk.identify('ada', { $set: { plan: 'pro' } });
    sdk.track('signup');
    await sleep(20); // steps a person takes apart: a funnel orders them by time
    sdk.track('purchase', { props: { items: 2 } });
    sdk.captureException(new TypeError('journey: cart is undefined'));
    await sdk.flush();
    assert.equal(sdk.stats().rejected, 0, sdk.stats().lastError);
    await sdk.shutdown();

    // The app on PostHog's Node SDK, pointed at Strix.
    const posthog = new PostHog(h.credentials.clientKey, { host: url, flushAt: 1, flushInterval: 0 });
    // One request per event (flushAt 1), and Strix moves each by its own request's transit (PostHog's clock
    // correction): steps a few milliseconds apart could swap on a busy machine, so they are a minute apart.
    const minuteAgo = Date.now() - 60_000;
    posthog.capture({ distinctId: 'bob', event: 'signup', properties: { $set: { plan: 'free' } }, timestamp: new Date(minuteAgo) });
    posthog.capture({ distinctId: 'bob', event: 'purchase', timestamp: new Date(minuteAgo + 30_000) });
    posthog.capture({ distinctId: 'cleo', event: 'signup' });
    await posthog.shutdown();

    // The app on Sentry's Node SDK, its DSN naming Strix.
    const port = new URL(url).port;
    Sentry.init({ dsn: `http://${h.credentials.clientKey}@127.0.0.1:${port}/1`, release: 'journey@4.0.0', environment: 'production', defaultIntegrations: false });
    Sentry.setUser({ id: 'dan' });
    Sentry.captureException(new RangeError('journey: quantity out of range'));
    assert.ok(await Sentry.flush(5_000), 'Sentry delivered its envelope');

    await h.strix.drained();
    const scan = await post(h, '/v1/issues/scan', {}, h.credentials.agentKey);
    assert.equal(scan.statusCode, 200, scan.body);

    const events = (await strix('events', 'list', '--limit', '100')) as EventJson[];
    const by = (user: string) => events.filter((e) => e.user_id === user).map((e) => `${e.level}:${e.name || e.message}`).sort();
    assert.deepEqual(by('ada').filter((e) => !e.startsWith('error:')), ['info:$identify', 'info:purchase', 'info:signup']);
    assert.ok(by('ada').some((e) => e.startsWith('error:') && e.includes('cart is undefined')), JSON.stringify(by('ada')));
    assert.deepEqual(by('bob'), ['info:purchase', 'info:signup']);
    assert.deepEqual(by('cleo'), ['info:signup']);
    const sentry = events.find((e) => e.user_id === 'dan');
    assert.equal(sentry?.level, 'error');
    assert.match(sentry?.message ?? '', /quantity out of range/);
    assert.equal(sentry?.app_version, '4.0.0');

    const funnel = (await strix('funnels', 'run', '--step', 'signup', '--step', 'purchase', '--from', '1d')) as { groups: { totals: { entered: number; converted: number } }[] };
    const { entered, converted } = funnel.groups[0]?.totals ?? {};
    assert.deepEqual({ entered, converted }, { entered: 3, converted: 2 }, 'ada and bob bought; cleo signed up only');

    const issues = (await strix('issues', 'list')) as { title: string; type?: string }[];
    const titles = issues.map((i) => `${i.type ?? ''} ${i.title}`).join('\n');
    assert.match(titles, /cart is undefined/);
    assert.match(titles, /quantity out of range/);
  });
});
