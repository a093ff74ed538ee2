// Found by the endpoint fuzz suite (test/fuzz): a lone surrogate in a read-API
// body reached the warehouse, which refused it (500); the router's own
// refusals of a path answered in fastify's shape, not the error table's.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { defaultPermissions, type Warehouse } from '@strix/contracts';
import { openStore } from '@strix/testkit/stores';
import { principal, queryApp } from '@strix/testkit/apps';

describe('malformed text and paths', () => {
  let wh: Warehouse;
  let close: () => Promise<void>;
  let app: Awaited<ReturnType<typeof queryApp>>;
  const call = (method: 'GET' | 'PATCH' | 'POST', url: string, payload?: object) =>
    app.inject({ method, url, headers: { authorization: 'Bearer agent' }, ...(payload && { payload }) });

  before(async () => {
    ({ wh, close } = await openStore('p'));
    app = await queryApp(wh, [principal('agent', 'agent', [...defaultPermissions.agent, 'projects:write'])]);
  });
  after(async () => {
    await app.close();
    await close();
  });

  it('refuses a lone surrogate in a body with a 400 naming the field', async () => {
    for (const [method, url, payload, field] of [
      ['PATCH', '/v1/project', { name: '\udc00\ud800' }, 'name'],
      ['POST', '/v1/project/members', { email: 'ada@example.com', name: 'a\ud800' }, 'name'],
      ['POST', '/v1/funnels', { name: 'x\udfff', steps: [{ event: 'a' }, { event: 'b' }], mode: 'open', window_seconds: 60 }, 'name'],
    ] as const) {
      const res = await call(method, url, payload);
      assert.equal(res.statusCode, 400, `${method} ${url}: ${res.body}`);
      assert.deepEqual(Object.keys(res.json()), ['error', 'message']);
      assert.match(res.json<{ message: string }>().message, new RegExp(`^body field ${field}: must be well-formed Unicode text`));
    }
  });

  it('answers a path that is not UTF-8 or a parameter over 100 characters in the error table shape', async () => {
    const badUrl = await call('GET', '/v1/funnels/a%ED%A0%80b');
    assert.equal(badUrl.statusCode, 400);
    assert.deepEqual(badUrl.json(), { error: 'bad_request', message: 'path: not a valid percent-encoded UTF-8 path' });
    const long = await call('GET', `/v1/funnels/${'x'.repeat(101)}`);
    assert.equal(long.statusCode, 400);
    assert.deepEqual(long.json(), { error: 'bad_request', message: 'path parameter: at most 100 characters' });
  });
});
