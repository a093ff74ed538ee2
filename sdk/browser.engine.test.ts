/**
 * The browser build of the SDK (bundled by esbuild, as an app's bundler would) in Debian's Chromium,
 * on a page served from another origin than Strix: compressed delivery over CORS, SPA pageviews,
 * delivery when the page is left (by keepalive fetch or sendBeacon), the consent gate, and offline then online.
 */
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { build } from 'esbuild';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '@strix/testkit/chromium';
import { query, startHarness, type Harness } from '@strix/testkit/harness';

interface EventJson {
  name: string;
  message: string;
  level: string;
  kind: string;
  screen_name: string;
  session_id: string;
  locale: string;
  attributes: Record<string, string>;
  experiments: Record<string, string>;
}

/** The browser entry as one minified script exposing `StrixSDK`. */
async function bundle(): Promise<string> {
  const result = await build({
    entryPoints: [join(import.meta.dirname, 'browser.ts')],
    bundle: true,
    minify: true,
    format: 'iife',
    globalName: 'StrixSDK',
    platform: 'browser',
    target: 'es2020',
    write: false,
  });
  return result.outputFiles[0]!.text;
}

/** The app's own site: any path is a page that loads the SDK; nothing starts it until the test does. */
async function startSite(script: string): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    if (request.url === '/strix.js') {
      response.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
      return;
    }
    response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>shop</title><script src="/strix.js"></script><h1>shop</h1>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://localhost:${(server.address() as AddressInfo).port}` };
}

describe('@strix/sdk in Chromium, on a page of another origin', { timeout: 300_000 }, () => {
  let h: Harness;
  let strixUrl: string;
  let site: { server: Server; url: string };
  let browser: Browser;
  let context: BrowserContext;
  /**
   * POSTs that reached Strix's server, as it received them. The browser's own record of requests
   * misses what a page sends while it is being left (a beacon, a keepalive fetch): Chromium reports no such request.
   */
  const arrived: { url: string; headers: IncomingMessage['headers'] }[] = [];
  /** CORS preflights that reached Strix's server, likewise. */
  const preflights: { url: string; headers: IncomingMessage['headers'] }[] = [];
  const recordArrival = (message: unknown) => {
    const { request } = message as { request: IncomingMessage };
    if (request.headers.host !== new URL(strixUrl).host) return;
    const seen = { url: `${strixUrl}${request.url ?? ''}`, headers: request.headers };
    if (request.method === 'POST') arrived.push(seen);
    else if (request.method === 'OPTIONS') preflights.push(seen);
  };
  /** Errors the pages did not catch (only the test that throws them on purpose expects any). */
  const pageErrors: string[] = [];

  const eventsOf = async (user: string): Promise<EventJson[]> => {
    await h.strix.drained();
    const res = await query(h, `/v1/events?limit=1000&user_id=${encodeURIComponent(user)}`);
    assert.equal(res.statusCode, 200, res.body);
    return res.json<{ events: EventJson[] }>().events;
  };
  const eventually = async (user: string, count: number, what: string): Promise<EventJson[]> => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const events = await eventsOf(user);
      if (events.length >= count) return events;
      assert.ok(Date.now() < deadline, `${what}: ${events.length} of ${count} events arrived`);
      await sleep(200);
    }
  };
  /** A page of the site at `path`, the SDK started with `options` as `window.strix`. */
  const open = async (path: string, options: Record<string, unknown>): Promise<Page> => {
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(site.url + path);
    await page.evaluate(
      ([key, endpoint, o]) => {
        const w = window as unknown as { StrixSDK: { init(o: object): unknown }; strix: unknown };
        w.strix = w.StrixSDK.init({ key, endpoint, ...o });
      },
      [h.credentials.clientKey, strixUrl, options] as const,
    );
    return page;
  };
  const call = (page: Page, script: string) => page.evaluate(`(async () => { const strix = window.strix; ${script} })()`);
  const strixKeys = (page: Page) => page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('strix:')));
  /** A new browser profile (its own storage). */
  const freshContext = async () => {
    await context?.close();
    context = await browser.newContext();
  };

  before(async () => {
    h = await startHarness();
    strixUrl = await h.strix.app.listen({ port: 0, host: '127.0.0.1' });
    site = await startSite(await bundle());
    browser = await launchChromium();
    subscribe('http.server.request.start', recordArrival);
  });
  beforeEach(async () => {
    await freshContext();
    pageErrors.length = 0;
  });
  after(async () => {
    unsubscribe('http.server.request.start', recordArrival);
    await browser?.close();
    await new Promise((resolve) => site?.server.close(resolve));
    await h?.close();
  });

  it('sends gzipped batches across origins, with pageviews of the app’s history changes', async () => {
    const user = `web-${Date.now()}`;
    const page = await open('/shop/items/8d5c3a4e-1b2c-4d5e-8f90-123456789abc?coupon=SECRET', { user_id: user, trackBreadcrumbs: true });
    await call(
      page,
      `strix.getVariant('checkout', ['control', 'one_page']);
       history.pushState({}, '', '/settings/profile?tab=security');
       history.replaceState({}, '', '/settings/profile?tab=billing');
       for (let i = 0; i < 30; i++) strix.track('product.viewed', { props: { sku: 'SKU-' + i, note: 'x'.repeat(40) } });
       try { JSON.parse('{oops'); } catch (error) { strix.captureException(error); }
       await strix.flush();`,
    );
    const events = await eventually(user, 33, 'flushed events');
    const pageviews = events.filter((e) => e.message === '$pageview').map((e) => e.screen_name).sort();
    assert.deepEqual(pageviews, ['/settings/profile', '/shop/items'], 'one per path change, sections only, no query');
    const error = events.find((e) => e.level === 'error');
    assert.equal(error?.message.split(':')[0], 'SyntaxError');
    assert.match(error?.attributes.breadcrumbs ?? '', /product\.viewed/);
    const variant = await call(page, `return strix.getVariant('checkout', ['control', 'one_page']);`);
    const afterAssignment = events.filter((e) => e.screen_name !== '/shop/items');
    assert.deepEqual(new Set(afterAssignment.map((e) => e.experiments.checkout)), new Set([variant]), 'every event after the assignment carries the variant');
    assert.ok(events.every((e) => e.locale !== ''), 'the browser’s language');
    assert.ok(
      arrived.some((r) => r.headers['content-encoding'] === 'gzip' && r.url.endsWith('/v1/track:batch')),
      'a batch went gzipped (CompressionStream)',
    );
    await page.close();
    assert.deepEqual(pageErrors, []);
  });

  it('reports uncaught errors and unhandled rejections, and leaves them to the page too', async () => {
    const user = `uncaught-${Date.now()}`;
    const page = await open('/broken', { user_id: user, autoPageviews: false });
    await call(
      page,
      `setTimeout(() => { throw new RangeError('index out of range in a timer'); });
       Promise.reject(new Error('rejected and never handled'));
       await new Promise((r) => setTimeout(r, 100));
       await strix.flush();`,
    );
    const events = await eventually(user, 2, 'uncaught errors');
    assert.deepEqual(events.map((e) => [e.message, e.attributes.mechanism]).sort(), [
      ['Error: rejected and never handled', 'unhandledrejection'],
      ['RangeError: index out of range in a timer', 'onerror'],
    ]);
    assert.ok(pageErrors.includes('index out of range in a timer'), 'the page still saw its error');
    await page.close();
  });

  it('delivers what is queued when the page is left, before any flush', async () => {
    const user = `hide-${Date.now()}`;
    const page = await open('/checkout', { user_id: user, autoPageviews: false });
    const before = arrived.length;
    const preflightsBefore = preflights.length;
    await call(page, `for (let i = 0; i < 5; i++) strix.track('checkout.step', { props: { step: i } });`);
    await sleep(300);
    assert.equal(arrived.length, before, 'nothing sent yet: the interval is 30 s and the threshold 50');
    await page.goto(`${site.url}/elsewhere`);
    const events = await eventually(user, 5, 'events sent on page hide');
    assert.equal(events.length, 5);
    // The keepalive fetch is the usual request (key in Authorization, JSON), so the browser ran its CORS preflight first.
    const carrier = arrived.slice(before).find((r) => r.url === `${strixUrl}/v1/track:batch`);
    assert.match(String(carrier?.headers.authorization), /^Bearer /, JSON.stringify(arrived.slice(before)));
    const preflight = preflights.slice(preflightsBefore).find((r) => r.url === `${strixUrl}/v1/track:batch`);
    assert.equal(preflight?.headers['access-control-request-method'], 'POST', JSON.stringify(preflights.slice(preflightsBefore)));
    assert.match(String(preflight?.headers['access-control-request-headers']), /authorization/);
    await page.close();
  });

  /** Pages of this context as in a browser whose `fetch` has no keepalive: the property the SDK looks for is gone before it loads. */
  const withoutKeepalive = () => context.addInitScript(() => Reflect.deleteProperty(Request.prototype, 'keepalive'));

  it('sends by sendBeacon when the page is left where fetch has no keepalive: the key in the URL, JSON typed text/plain', async () => {
    await withoutKeepalive();
    const user = `beacon-${Date.now()}`;
    const page = await open('/checkout', { user_id: user, autoPageviews: false });
    assert.equal(await page.evaluate(() => 'keepalive' in Request.prototype), false);
    const before = arrived.length;
    await call(page, `for (let i = 0; i < 5; i++) strix.track('checkout.step', { props: { step: i } });`);
    await sleep(300);
    assert.equal(arrived.length, before, 'nothing sent before the page is left');
    await page.goto(`${site.url}/elsewhere`);
    const events = await eventually(user, 5, 'events sent by beacon on page hide');
    assert.deepEqual(events.map((e) => e.message), new Array<string>(5).fill('checkout.step'));
    const carriers = arrived.slice(before);
    assert.equal(carriers.length, 1, JSON.stringify(carriers));
    const [beacon] = carriers;
    assert.equal(beacon?.url, `${strixUrl}/v1/track:batch?strix_key=${encodeURIComponent(h.credentials.clientKey)}`);
    assert.match(beacon?.headers['content-type'] ?? '', /^text\/plain\b/);
    assert.equal(beacon?.headers.authorization, undefined, 'a beacon can set no header');
    await page.close();
    assert.deepEqual(pageErrors, []);
  });

  it('with beacon: false and no keepalive, sends nothing when the page is left and keeps the events for the next page', async () => {
    await withoutKeepalive();
    const user = `no-beacon-${Date.now()}`;
    const page = await open('/checkout', { user_id: user, autoPageviews: false, beacon: false });
    const before = arrived.length;
    await call(page, `for (let i = 0; i < 3; i++) strix.track('checkout.kept', { props: { step: i } });`);
    await page.goto(`${site.url}/elsewhere`);
    await sleep(1_000);
    assert.equal(arrived.length, before, 'no request when the page was left');
    assert.deepEqual(await eventsOf(user), []);
    // The page left is not the SDK's now: what the left page wrote to storage.
    const stored = await page.evaluate(() => Object.entries(localStorage).filter(([k]) => k.includes(':queue.track.')).map(([, v]) => String(v)).join());
    assert.equal(stored.match(/checkout\.kept/g)?.length, 3, stored);
    const next = await open('/checkout', { user_id: user, autoPageviews: false });
    const events = await eventually(user, 3, 'the events the left page kept');
    assert.deepEqual(events.map((e) => e.message), new Array<string>(3).fill('checkout.kept'));
    await next.close();
    await page.close();
  });

  it('holds events in memory while consent is pending, sends them on grant, and drops them on deny', async () => {
    const granted = `consent-yes-${Date.now()}`;
    const before = arrived.length;
    const page = await open('/welcome', { user_id: granted, consent: 'pending' });
    await call(page, `strix.track('onboarding.started'); await strix.flush();`);
    await sleep(500);
    assert.equal(arrived.length, before, 'nothing leaves before consent');
    assert.deepEqual(await strixKeys(page), [], 'nothing is written to storage before consent');
    await call(page, `strix.setConsent('granted'); await new Promise((r) => setTimeout(r, 50)); await strix.flush();`);
    const events = await eventually(granted, 2, 'events held until consent');
    assert.deepEqual(events.map((e) => e.message).sort(), ['$pageview', 'onboarding.started']);
    assert.ok((await strixKeys(page)).length > 0, 'once granted, the device id and session are kept');
    await page.close();

    const denied = `consent-no-${Date.now()}`;
    const requestsBefore = arrived.length;
    const refused = await open('/welcome', { user_id: denied, consent: 'pending' });
    await call(refused, `strix.track('onboarding.started'); strix.setConsent('denied'); strix.track('after.deny'); await strix.flush();`);
    const pending = await open('/welcome', { user_id: denied, consent: 'pending' });
    await call(pending, `strix.track('left.while.pending');`);
    await refused.goto(`${site.url}/gone`);
    await pending.goto(`${site.url}/gone`);
    await sleep(1_000);
    assert.equal(arrived.length, requestsBefore, 'neither the denied nor the still-pending page sent anything, even when left');
    assert.deepEqual(await eventsOf(denied), []);
    await refused.close();
    await pending.close();
  });

  it('keeps events offline, sends them when the network is back, and across a page closed while offline', async () => {
    const user = `offline-${Date.now()}`;
    const page = await open('/field', { user_id: user, autoPageviews: false });
    await context.setOffline(true);
    await call(page, `strix.track('offline.one'); strix.track('offline.two'); await strix.flush();`);
    assert.deepEqual(await eventsOf(user), []);
    await context.setOffline(false);
    const events = await eventually(user, 2, 'events sent when the network came back');
    assert.deepEqual(events.map((e) => e.message).sort(), ['offline.one', 'offline.two']);

    await context.setOffline(true);
    await call(page, `strix.track('offline.three');`);
    await page.close();
    await context.setOffline(false);
    // A page of the site that does not start the SDK: what the closed page left in storage.
    const peek = await context.newPage();
    await peek.goto(`${site.url}/peek`);
    const stored = await peek.evaluate(() => Object.entries(localStorage).filter(([k]) => k.includes(':queue.track.')).map(([, v]) => String(v)).join());
    assert.match(stored, /offline\.three/);
    await peek.close();
    const next = await open('/field', { user_id: user, autoPageviews: false });
    const later = await eventually(user, 3, 'the queue a closed page left in storage');
    assert.deepEqual(later.map((e) => e.message).sort(), ['offline.one', 'offline.three', 'offline.two']);
    await next.close();
  });

  it('keeps the queues of two tabs open together apart, and a later tab sends both', async () => {
    const user = `tabs-${Date.now()}`;
    const first = await open('/a', { user_id: user, autoPageviews: false });
    const second = await open('/b', { user_id: user, autoPageviews: false });
    await context.setOffline(true);
    await call(first, `strix.track('from.first');`);
    await call(second, `strix.track('from.second');`);
    // Each tab writes its queue within a second; then the first is closed and the second writes again.
    await sleep(1_500);
    await first.close();
    await call(second, `strix.track('from.second.again'); await strix.flush();`);
    await sleep(1_500);
    await second.close();
    await context.setOffline(false);
    const third = await open('/c', { user_id: user, autoPageviews: false });
    const events = await eventually(user, 3, 'the queues both tabs left');
    assert.deepEqual(events.map((e) => e.message).sort(), ['from.first', 'from.second', 'from.second.again']);
    await third.close();
  });
});
