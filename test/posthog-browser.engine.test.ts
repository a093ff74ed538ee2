// The real posthog-js bundle (dist/array.js, what PostHog's snippet loads) in Debian's Chromium, on a page served from
// another origin than Strix, sending to an embedded Strix with api_host = Strix; its events read back through the API.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '@strix/testkit/chromium';
import { query, startHarness, type Harness } from '@strix/testkit/harness';

interface EventJson {
  name: string;
  user_id: string;
  session_id: string;
  screen_name: string;
  attributes: Record<string, string>;
}

/** The page's own calls to the SDK, as an app would make them. */
interface PageWindow {
  posthog: {
    capture(event: string, properties?: Record<string, unknown>): void;
    identify(id: string, set?: Record<string, unknown>, setOnce?: Record<string, unknown>): void;
    get_distinct_id(): string;
  };
}

const listen = (server: Server, host: string) => new Promise<string>((resolve) => server.listen(0, host, () => resolve(`http://${host}:${(server.address() as AddressInfo).port}`)));

describe('posthog-js in Chromium sends to Strix', { timeout: 180_000 }, () => {
  let h: Harness;
  let strix: string;
  let site: Server;
  let origin: string;
  let browser: Browser;
  let page: Page;
  /** Every answer Strix gave the page (sendBeacon's requests are not the page's to see), and every request that failed. */
  const answers: string[] = [];
  const failures: string[] = [];

  before(async () => {
    h = await startHarness();
    await h.strix.app.listen({ port: 0, host: '127.0.0.1' });
    strix = `http://127.0.0.1:${(h.strix.app.server.address() as AddressInfo).port}`;
    const bundle = await readFile(createRequire(import.meta.url).resolve('posthog-js/dist/array.js'));
    const init = JSON.stringify({ api_host: strix, capture_pageview: 'history_change', opt_out_useragent_filter: true });
    // The shop: another origin (localhost, another port) than Strix (127.0.0.1), so every call to Strix is cross-origin.
    site = createServer((request, response) => {
      if (request.url === '/posthog.js') {
        response.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
        return;
      }
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(
        `<!doctype html><html><head><title>Shop</title></head><body><h1>Shop</h1><script src="/posthog.js"></script>` +
          `<script>posthog.init(${JSON.stringify(h.credentials.clientKey)}, ${init});</script></body></html>`,
      );
    });
    origin = await listen(site, 'localhost');

    browser = await launchChromium();
    page = await browser.newPage();
    page.on('response', (response) => {
      if (response.url().startsWith(strix)) answers.push(`${response.status()} ${response.request().method()} ${new URL(response.url()).pathname}`);
    });
    page.on('requestfailed', (request) => failures.push(`${request.method()} ${request.url()}: ${request.failure()?.errorText}`));
  });

  after(async () => {
    await browser?.close();
    site?.closeAllConnections();
    await new Promise((resolve) => site?.close(resolve));
    await h?.close();
  });

  /** The user's events once every name expected has arrived (posthog-js sends every few seconds). */
  async function eventsOf(user: string, names: string[]): Promise<EventJson[]> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      await h.strix.drained();
      const res = await query(h, `/v1/events?limit=1000&user_id=${encodeURIComponent(user)}`);
      assert.equal(res.statusCode, 200, res.body);
      const events = res.json<{ events: EventJson[] }>().events;
      if (names.every((name) => events.some((e) => e.name === name))) return events;
      assert.ok(Date.now() < deadline, `${user}: waited for ${names.join(', ')}; stored ${events.map((e) => e.name).join(', ') || 'nothing'}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  it('captures pageviews (SPA ones too), custom events and identify with $set/$set_once; delivers on page hide', async () => {
    await page.goto(`${origin}/shop/orders/42?coupon=SECRET`);
    await page.waitForFunction(() => typeof (window as unknown as PageWindow).posthog?.get_distinct_id === 'function');
    const anonymous = await page.evaluate(() => {
      const { posthog } = window as unknown as PageWindow;
      posthog.capture('cart_viewed', { items: 2 });
      return posthog.get_distinct_id();
    });
    await page.evaluate(() => {
      const { posthog } = window as unknown as PageWindow;
      posthog.identify('browser-buyer', { plan: 'pro' }, { first_plan: 'free' });
      history.pushState({}, '', '/shop/checkout');
    });

    const before = await eventsOf(anonymous, ['$pageview', 'cart_viewed']);
    const landing = before.find((e) => e.name === '$pageview');
    assert.equal(landing?.screen_name, '/shop/orders', 'the pageview is normalized to its section');
    assert.equal(landing?.attributes.$current_url, `${origin}/shop/orders/42`, 'the URL keeps no query');
    assert.equal(before.find((e) => e.name === 'cart_viewed')?.attributes.items, '2');

    const identified = await eventsOf('browser-buyer', ['$identify', '$pageview']);
    assert.equal(identified.find((e) => e.name === '$identify')?.attributes.$anon_distinct_id, anonymous, 'the anonymous id it had is kept on $identify');
    assert.equal(identified.find((e) => e.name === '$pageview')?.screen_name, '/shop/checkout', 'a history change is a pageview');
    assert.ok([...before, ...identified].every((e) => e.session_id !== '' && e.session_id === landing?.session_id), 'one session');
    const user = await query(h, '/v1/users/browser-buyer');
    assert.equal(user.statusCode, 200, user.body);
    assert.deepEqual(user.json<{ properties: Record<string, string> }>().properties, { plan: 'pro', first_plan: 'free' }, 'the app’s $set and $set_once; PostHog’s own person properties are not kept');

    // Leaving the page: posthog-js delivers what is queued with sendBeacon.
    await page.evaluate(() => (window as unknown as PageWindow).posthog.capture('checkout_left', { step: 2 }));
    await page.goto(`${origin}/thanks`);
    const left = await eventsOf('browser-buyer', ['checkout_left', '$pageleave']);
    assert.equal(left.find((e) => e.name === 'checkout_left')?.screen_name, '/shop/checkout');

    assert.deepEqual(failures, [], 'no request of the page failed');
    assert.deepEqual(answers.filter((a) => !a.startsWith('200 ')), [], `Strix answered every request: ${answers.join(', ')}`);
    for (const path of [`/array/${h.credentials.clientKey}/config.js`, '/e/']) {
      assert.ok(answers.includes(`200 ${path.endsWith('.js') ? 'GET' : 'POST'} ${path}`), `posthog-js called ${path}: ${answers.join(', ')}`);
    }
  });
});
