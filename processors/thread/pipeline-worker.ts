/**
 * The pipeline thread's entry: the same EventPipeline the process would run
 * inline, on remote ports (remote-ports.ts). It waits to be told to start and
 * to stop by the thread that owns the engines (pipeline-thread.ts).
 */
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { EventPipeline } from '../pipeline.ts';
import { EventDeduper } from '../steps/dedupe.ts';
import { RemoteLog, RemoteWarehouse, remoteObserver } from './remote-ports.ts';
import { RpcPeer } from './rpc.ts';
import type { PipelineThreadOptions } from './pipeline-thread.ts';

const port = parentPort;
if (!port) throw new Error('pipeline-worker.ts runs as a worker thread (see PipelineThread)');
const options = workerData as PipelineThreadOptions;

// Requests first: on Linux a thread's nice value is its own, so this lowers the pipeline alone, and the
// edge answers on time while the pipeline catches up (its lag is bounded by the edge's backpressure).
setPriority(10);

let pipelines: EventPipeline[] = [];
let healthy = true;

const rpc = new RpcPeer(port, {
  async start() {
    const deps = {
      log: new RemoteLog(rpc),
      warehouse: new RemoteWarehouse(rpc),
      deduper: new EventDeduper(options.dedupe),
      observer: remoteObserver(rpc),
    };
    pipelines = options.pipelines.map((p) => new EventPipeline(deps, p));
    for (const pipeline of pipelines) await pipeline.start();
  },
  async stop() {
    for (const pipeline of pipelines) await pipeline.stop();
    clearInterval(health);
  },
});

// Health is a question the other thread asks synchronously: it is told when the answer changes.
const health = setInterval(() => {
  const now = pipelines.every((p) => p.isHealthy());
  if (now !== healthy) rpc.notify('health', [now]);
  healthy = now;
}, 1_000);
