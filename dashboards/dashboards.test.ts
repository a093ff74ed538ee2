import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { renderMarkdown } from './app/markdown.ts';
import { dashboardRoutes } from './index.ts';

describe('the dashboard as served', () => {
  let app: FastifyInstance;
  before(async () => {
    app = Fastify();
    await app.register(dashboardRoutes);
    await app.ready();
  });
  after(() => app.close());

  it('answers every section of the app with the page, revalidated, under a strict content policy', async () => {
    for (const url of ['/', '/issues', '/issues/iss_1?project=p', '/settings/keys']) {
      const res = await app.inject({ url });
      assert.equal(res.statusCode, 200, url);
      assert.equal(res.headers['cache-control'], 'no-cache');
      assert.match(String(res.headers['content-security-policy']), /script-src 'self'; style-src 'self'/);
      assert.match(res.body, /<script type="module" src="\/assets\/main-[A-Z0-9]+\.js">/);
      const again = await app.inject({ url, headers: { 'if-none-match': String(res.headers.etag) } });
      assert.equal(again.statusCode, 304);
    }
    assert.equal((await app.inject({ url: '/v1/anything' })).statusCode, 404, 'the API’s paths are not the app’s');
  });

  it('serves hashed assets for a year, gzipped when asked, and nothing else under /assets', async () => {
    const page = await app.inject({ url: '/' });
    const script = /src="(\/assets\/[^"]+)"/.exec(page.body)?.[1] ?? '';
    const plain = await app.inject({ url: script });
    const zipped = await app.inject({ url: script, headers: { 'accept-encoding': 'gzip, br' } });
    assert.equal(plain.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal(zipped.headers['content-encoding'], 'gzip');
    assert.equal(gunzipSync(zipped.rawPayload).toString(), plain.body);
    assert.match(String(plain.headers['content-type']), /^text\/javascript/);
    assert.equal((await app.inject({ url: '/assets/..%2Fpackage.json' })).statusCode, 404);
  });

  it('renders comments’ markdown without any markup that runs script', () => {
    const html = renderMarkdown('**bold** <script>alert(1)</script> <img src=x onerror=alert(2)> [a](javascript:alert(3)) [b](https://example.com)');
    assert.match(html, /<strong>bold<\/strong>/);
    assert.doesNotMatch(html, /<script|<img|javascript:/);
    assert.match(html, /&lt;script&gt;/);
    assert.match(html, /<a href="https:\/\/example.com">b<\/a>/);
  });
});
