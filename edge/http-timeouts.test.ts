// The server's timeouts over real sockets (inject() has no socket to stall):
// a client that stalls in its headers or body is cut off, an idle keep-alive
// connection is closed, and a long streamed answer is not.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { get } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { hashKey, type Log, type Warehouse } from '@strix/contracts';
import type { FastifyInstance } from 'fastify';
import { testApp } from '@strix/testkit/apps';

const timeouts = { headersMs: 300, requestMs: 600, keepAliveMs: 400 };
/** Generous: a stall without timeouts lasts forever, so any bound tells them apart. */
const closedWithinMs = 5_000;
const streamMs = 1_500;

/** Everything the server sent until it closed the connection, and how long that took. */
async function untilClosed(socket: Socket): Promise<{ received: string; afterMs: number }> {
  const started = Date.now();
  let received = '';
  socket.on('data', (d: Buffer) => (received += d.toString()));
  const timer = setTimeout(() => socket.destroy(new Error(`the server kept the connection open for ${closedWithinMs} ms`)), closedWithinMs);
  try {
    await once(socket, 'close');
    if (socket.errored && /kept the connection open/.test(socket.errored.message)) throw socket.errored;
  } finally {
    clearTimeout(timer);
  }
  return { received, afterMs: Date.now() - started };
}

describe('HTTP server timeouts', () => {
  let app: FastifyInstance;
  let port = 0;

  before(async () => {
    ({ app } = await testApp({
      principals: [
        { keyHash: hashKey('client-1'), keyType: 'client', projectId: 'p', appId: 'a', permissions: ['events:write'], revoked: false, retentionDays: 30 },
      ],
      edge: { log: {} as Log, warehouse: {} as Warehouse, rateLimits: { perKeyPerSecond: 1000, perDevicePerSecond: 1000, burstSeconds: 1 }, overloaded: () => undefined },
      httpTimeouts: timeouts,
      configure: (app) => {
        // An answer streamed for longer than the request timeout, like a long /clickhouse result.
        app.get('/test/stream', async () =>
          Readable.from((async function* () {
            for (let sent = 0; sent < streamMs; sent += 100) {
              await sleep(100);
              yield 'chunk\n';
            }
          })()),
        );
      },
    }));
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as AddressInfo).port;
  });
  after(() => app.close());

  const open = async () => {
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    return socket;
  };

  it('answers 408 and closes a request whose body stalls', async () => {
    const socket = await open();
    socket.write(
      'POST /v1/ingest HTTP/1.1\r\nhost: strix\r\nauthorization: Bearer client-1\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"events":',
    );
    const { received, afterMs } = await untilClosed(socket);
    assert.match(received, /^HTTP\/1\.1 408 /);
    assert.ok(afterMs >= timeouts.requestMs - 50, `closed after ${afterMs} ms, before the request timeout`);
  });

  it('answers 408 and closes a request whose headers stall', async () => {
    const socket = await open();
    socket.write('POST /v1/ingest HTTP/1.1\r\nhost: strix\r\n');
    const { received } = await untilClosed(socket);
    assert.match(received, /^HTTP\/1\.1 408 /);
  });

  it('closes a keep-alive connection left idle', async () => {
    const socket = await open();
    socket.write('GET /healthz HTTP/1.1\r\nhost: strix\r\nconnection: keep-alive\r\n\r\n');
    const { received } = await untilClosed(socket);
    assert.match(received, /^HTTP\/1\.1 200 /);
    assert.doesNotMatch(received, /408/, 'an idle connection is closed quietly');
  });

  it('lets an answer stream for longer than the request timeout', async () => {
    const started = Date.now();
    const body = await new Promise<string>((resolve, reject) => {
      get({ host: '127.0.0.1', port, path: '/test/stream' }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve(text));
        res.on('error', reject);
      }).on('error', reject);
    });
    assert.equal(body, 'chunk\n'.repeat(streamMs / 100));
    assert.ok(Date.now() - started > timeouts.requestMs, 'the stream outlived the request timeout');
  });
});
