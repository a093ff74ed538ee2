// A Node program that queues events and simply ends: the SDK must deliver them at exit, and must
// never keep the process alive (delivery.test.ts spawns it).
import { init } from './index.ts';

const client = init({ key: process.env.STRIX_KEY, endpoint: process.env.STRIX_URL, requestTimeoutMs: 2_000 });
for (let i = 0; i < 3; i++) client.track(`exit.${i}`);
