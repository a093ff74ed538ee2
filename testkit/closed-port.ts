import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The URL of a loopback port nothing listens on (bound, then closed): a server that is away, refusing connections. */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}
