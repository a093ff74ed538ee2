// What the dashboard suite works on: the events it seeds through the API, and the accessibility audit it runs on each page.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

export const funnelSteps = ['view_cart', 'checkout', 'paid'];

type Post = (path: string, key: string, body: unknown) => Promise<Response>;

/** Two errors of one issue, four people's way to paying (one pays, one stops at checkout, two only view their cart), and two screen loads. */
export async function seedDashboard(post: Post, clientKey: string): Promise<void> {
  const error = (message: string, session: string) => ({ name: 'error', level: 'error', message, session_id: session, app_version: '1.4.0', exception: { type: 'TypeError', stacktrace: { frames: [{ function: 'loadCart', filename: 'src/cart.ts', lineno: 12, in_app: true }] } } });
  const ingest = await post('/v1/ingest', clientKey, { events: [error('Cart 7 is empty', 's1'), error('Cart 9 is empty', 's2')] });
  assert.equal(ingest.status, 200, await ingest.text());
  // Four people on the way to paying: one pays, one stops at checkout, two only view their cart.
  const t = Date.now() - 30 * 60_000;
  const journeys: [string, number][] = [['u1', 3], ['u2', 2], ['u3', 1], ['u4', 1]];
  const track = journeys.flatMap(([user, reached]) => funnelSteps.slice(0, reached).map((name, i) => ({ name, user_id: user, timestamp: t + i * 60_000 })));
  const tracked = await post('/v1/track:batch', clientKey, { events: track });
  assert.equal(tracked.status, 200, await tracked.text());
  // A screen load that completed in 200 ms and one that failed.
  const points = [
    { name: 'screen_load', phase: 'start', tracking_id: 'l1', timestamp: t },
    { name: 'screen_load', phase: 'complete', tracking_id: 'l1', timestamp: t + 200 },
    { name: 'screen_load', phase: 'start', tracking_id: 'l2', timestamp: t },
    { name: 'screen_load', phase: 'fail', tracking_id: 'l2', timestamp: t + 900 },
  ].map((p) => ({ ...p, user_id: 'u1' }));
  const measured = await post('/v1/metrics:batch', clientKey, { points });
  assert.equal(measured.status, 200, await measured.text());
}

/**
 * axe-core's serious and critical findings under the WCAG 2.1 A and AA rules on the page as it
 * stands, each as "rule (impact) at selectors". Its script is added to the page, which therefore
 * must come from a context that bypasses the app's CSP.
 */
export async function seriousViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8') });
  return page.evaluate(async () => {
    const result = await (window as unknown as { axe: { run: (context: Document, options: object) => Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });
    return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}) at ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
  });
}
