import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { after, before, describe, it } from 'node:test';
// testkit/package.json has no export for the stand-in yet; with a "./revenuecat" entry this becomes `@strix/testkit/revenuecat`.
import { maxRequestsInWindow, requestsBeforeRetryAfter, startRevenueCatStandin, type RevenueCatStandin } from '@strix/testkit/revenuecat-standin';
import { RevenueCatClient, RevenueCatError, SlidingWindowLimiter, parseRetryAfter, type RevenueCatClientOptions } from './client.ts';

const apiKey = 'sk_standin_secret_1234';
const projectId = 'proj_strix';
// The limit the suites hold the client to: RevenueCat's 480 a minute, shrunk so a test takes seconds.
const limit = { requests: 40, windowMs: 2_000 };

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => assert.fail('the call must fail'),
    (error: unknown) => error,
  );
}

describe('RevenueCatClient against the RevenueCat stand-in', () => {
  let standin: RevenueCatStandin;
  const client = (options: Partial<RevenueCatClientOptions> = {}) =>
    new RevenueCatClient({ apiKey, baseUrl: standin.url, requestsPerMinute: limit.requests, windowMs: limit.windowMs, backoffBaseMs: 20, backoffMaxMs: 200, timeoutMs: 2_000, ...options });

  before(async () => {
    standin = await startRevenueCatStandin({ apiKey, projectId, customers: 500, seed: 16 });
  });
  after(() => standin.close());

  const reset = (faults: RevenueCatStandin['faults'] = {}) => {
    standin.requests.length = 0;
    standin.faults = faults;
  };

  it('pages through every customer once under injected 429s and 5xx, never above the limit in any window', async () => {
    // The stand-in also enforces the limit itself, as RevenueCat does: a client over it would meet 429s not injected here.
    reset({ rateLimitEvery: 17, retryAfterSeconds: 1, serverErrorEvery: 7, limit });
    const rc = client();
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await rc.listCustomers(projectId, { limit: 25, ...(cursor !== undefined && { startingAfter: cursor }) });
      seen.push(...page.items.map((c) => c.id));
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    assert.equal(seen.length, 500);
    assert.deepEqual([...seen].sort(), standin.customers.map((c) => c.id).sort());
    const paging = [...standin.requests];
    assert.deepEqual(requestsBeforeRetryAfter(paging), []);

    // Then the aliases of 60 customers, eight calls at a time: the limiter now has to hold concurrent callers back.
    const sample = standin.customers.slice(0, 60);
    const aliases = new Map<string, string[]>();
    for (let i = 0; i < sample.length; i += 8) {
      await Promise.all(sample.slice(i, i + 8).map(async (c) => aliases.set(c.id, (await rc.listAliases(projectId, c.id)).map((a) => a.id))));
    }
    for (const c of sample) assert.deepEqual(aliases.get(c.id), c.aliases);
    // Calls already under way when a 429 was answered arrive within a few ms of it (100 ms allowed for a loaded machine); none may come later.
    assert.deepEqual(requestsBeforeRetryAfter(standin.requests.slice(paging.length), 100), []);

    const faults = (kind: string) => standin.requests.filter((r) => r.fault === kind).length;
    assert.ok(faults('injected_429') > 0 && faults('injected_5xx') > 0, 'faults were injected');
    assert.equal(faults('rate_limited'), 0, 'the stand-in never had to enforce its own limit');
    assert.ok(standin.requests.length > 2 * limit.requests, 'enough requests to fill more than two windows');
    assert.ok(maxRequestsInWindow(standin.requests, limit.windowMs) <= limit.requests);
  });

  it('honours Retry-After sent as an HTTP date for a span of 429s', async () => {
    reset({ rateLimitedUntil: Date.now() + 300, retryAfterAsDate: true });
    const subscriber = await client().getSubscriber(standin.customers[1]!.aliases[0]!);
    assert.equal(subscriber?.original_app_user_id, standin.customers[1]!.aliases[0]);
    const [first, ...rest] = standin.requests;
    assert.equal(first?.status, 429);
    assert.equal(rest.at(-1)?.status, 200);
    assert.deepEqual(requestsBeforeRetryAfter(standin.requests), []);
  });

  it('fails at once, retryable, when Retry-After is longer than it may wait', async () => {
    reset({ rateLimitEvery: 1, retryAfterSeconds: 30 });
    const error = await rejection(client({ maxRetryAfterMs: 5_000 }).listCustomers(projectId));
    assert.ok(error instanceof RevenueCatError);
    assert.equal(error.retry, true);
    assert.equal(error.status, 429);
    assert.equal(error.retryAfterMs, 30_000);
    assert.equal(standin.requests.length, 1);
  });

  it('gives up on 5xx after its attempts, naming the status and the path', async () => {
    reset({ serverErrorEvery: 1, serverErrorStatus: 502, serverErrorBackoffMs: 30 });
    const error = await rejection(client({ maxAttempts: 3 }).listCustomers(projectId, { limit: 5 }));
    assert.ok(error instanceof RevenueCatError);
    assert.match(error.message, /GET \/v2\/projects\/proj_strix\/customers\?limit=5 failed after 3 attempts: answered 502 \(server_error: There was an internal server error\)/);
    assert.equal(error.retry, true);
    assert.equal(standin.requests.length, 3);
  });

  it('refuses a wrong key at once without ever showing the key', async () => {
    reset();
    const wrongKey = 'sk_wrong_key_5678';
    const rc = client({ apiKey: wrongKey });
    const error = await rejection(rc.getSubscriber('user_000001'));
    assert.ok(error instanceof RevenueCatError);
    assert.equal(error.status, 401);
    assert.equal(error.retry, false);
    assert.match(error.message, /answered 401 \(Invalid API key\)/);
    assert.equal(standin.requests.length, 1);
    for (const text of [error.message, error.stack ?? '', inspect(error), inspect(rc, { depth: 5 }), JSON.stringify(rc)]) assert.ok(!text.includes(wrongKey));
  });

  it('answers undefined for a missing subscriber or customer, and fails at once for a missing project', async () => {
    reset();
    const rc = client();
    assert.equal(await rc.getCustomer(projectId, 'nobody'), undefined);
    const error = await rejection(rc.listCustomers('proj_other'));
    assert.ok(error instanceof RevenueCatError && error.status === 404 && !error.retry);
    assert.equal(standin.requests.length, 2);

    const strict = await startRevenueCatStandin({ apiKey, projectId, customers: 1, unknownSubscriber: 'not_found' });
    try {
      assert.equal(await new RevenueCatClient({ apiKey, baseUrl: strict.url }).getSubscriber('nobody'), undefined);
    } finally {
      await strict.close();
    }
  });

  it('encodes ids as single path segments', async () => {
    reset();
    const odd = 'a/b c?d#e%f$RCAnonymousID:ü';
    // v1 is get-or-create: the stand-in answers with the id exactly as it decoded it.
    const subscriber = await client().getSubscriber(odd);
    assert.equal(subscriber?.original_app_user_id, odd);
    assert.equal(standin.requests[0]?.path, `/v1/subscribers/${encodeURIComponent(odd)}`);
  });

  it('retries a timed-out call, then fails naming the timeout', async () => {
    reset({ delayMs: 400 });
    const error = await rejection(client({ timeoutMs: 100, maxAttempts: 2 }).getCustomer(projectId, standin.customers[0]!.id));
    assert.ok(error instanceof RevenueCatError);
    assert.match(error.message, /customers\/.* failed after 2 attempts: no answer within 100 ms/);
    assert.equal(standin.requests.length, 2);
  });

  it('stops waiting when its signal aborts: during an answer and during a Retry-After', async () => {
    reset({ delayMs: 5_000 });
    const slow = new AbortController();
    const reason = new Error('job cancelled');
    setTimeout(() => slow.abort(reason), 50);
    assert.equal(await rejection(client().listCustomers(projectId, { signal: slow.signal })), reason);

    reset({ rateLimitEvery: 1, retryAfterSeconds: 10 });
    const waiting = new AbortController();
    setTimeout(() => waiting.abort(reason), 200);
    assert.equal(await rejection(client({ maxRetryAfterMs: 60_000 }).listCustomers(projectId, { signal: waiting.signal })), reason);
    assert.equal(standin.requests.length, 1);
  });

  it('reads a customer, its subscriptions and active entitlements, and the catalogues', async () => {
    reset();
    const rc = client();
    const c = standin.customers.find((x) => x.state === 'active' && x.subscriptions.length === 2)!;
    const customer = await rc.getCustomer(projectId, c.id);
    assert.deepEqual(customer?.active_entitlements?.items.map((e) => e.entitlement_id), c.activeEntitlements.map((e) => e.entitlement_id));
    assert.deepEqual((await rc.listSubscriptions(projectId, c.id)).map((s) => s.id), c.subscriptions.map((s) => s.id));
    assert.deepEqual((await rc.listActiveEntitlements(projectId, c.id)).length, c.activeEntitlements.length);
    assert.deepEqual((await rc.listProducts(projectId)).map((p) => p.store_identifier).sort(), ['strix_lifetime', 'strix_monthly', 'strix_weekly', 'strix_yearly']);
    assert.deepEqual((await rc.listEntitlements(projectId)).map((e) => e.lookup_key).sort(), ['pro', 'support']);
  });
});

describe('the rate limiter and Retry-After', () => {
  it('lets no more than its limit start in any window, whatever the concurrency', async () => {
    const limiter = new SlidingWindowLimiter(5, 300);
    const started: number[] = [];
    await Promise.all(
      Array.from({ length: 17 }, async () => {
        const release = await limiter.acquire();
        started.push(Date.now());
        await new Promise((resolve) => setTimeout(resolve, 5));
        release();
      }),
    );
    assert.equal(started.length, 17);
    assert.ok(maxRequestsInWindow(started.map((at) => ({ at })), 300) <= 5);
  });

  it('reads seconds and HTTP dates', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(parseRetryAfter('3', now), 3_000);
    assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:07 GMT', now), 7_000);
    assert.equal(parseRetryAfter('Wed, 31 Dec 2025 23:59:00 GMT', now), 0);
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRetryAfter(null, now), undefined);
  });
});
