import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildHttpApp, type TrustProxy } from './app.ts';
import { KeyRegistry } from './auth.ts';
import { StrixMetrics } from './metrics.ts';

/** Who the app takes the client to be, for a request from `peer` with forwarded headers. */
async function seen(trustProxy: TrustProxy, peer: string): Promise<{ ip: string; protocol: string }> {
  const app = buildHttpApp({ keys: new KeyRegistry(async () => []), metrics: new StrixMetrics(), readiness: () => undefined, trustProxy });
  app.get('/who', async (request) => ({ ip: request.ip, protocol: request.protocol }));
  try {
    const res = await app.inject({ method: 'GET', url: '/who', remoteAddress: peer, headers: { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https' } });
    return res.json();
  } finally {
    await app.close();
  }
}

describe('trusted proxies (STRIX_TRUST_PROXY)', () => {
  it('takes the client address and scheme from a named proxy only', async () => {
    assert.deepEqual(await seen(false, '10.1.2.3'), { ip: '10.1.2.3', protocol: 'http' }, 'by default the peer is the client');
    assert.deepEqual(await seen(['10.0.0.0/8'], '10.1.2.3'), { ip: '203.0.113.9', protocol: 'https' });
    assert.deepEqual(await seen(['10.0.0.0/8'], '198.51.100.4'), { ip: '198.51.100.4', protocol: 'http' }, 'a peer outside the range cannot name itself');
  });
});
