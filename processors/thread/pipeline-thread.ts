/**
 * Runs the event pipelines on a thread of their own, so the HTTP edge and
 * the pipeline's parsing, grouping and encoding use both cores, and a large
 * batch never holds up a request.
 *
 * The engines stay on this thread: the log (the edge appends to it), the
 * warehouse (one chDB connection per process) and the metrics. The pipeline
 * thread reaches them through remote ports (remote-ports.ts): it polls and
 * commits through this thread's consumers, and hands over each insert
 * already encoded as RowBinary, which this thread sends through the
 * warehouse's own transport. The pipeline's code is the same as inline, so
 * its delivery guarantees are too: a `kill -9` takes both threads, and the
 * next start re-forms any batch in flight from the log's commits.
 *
 * If the thread dies (a bug, not a refused row: those are dead-lettered), it
 * is started again after a second, resuming from the last commit.
 */
import { Worker } from 'node:worker_threads';
import { setTimeout as sleep } from 'node:timers/promises';
import type { InsertOptions, Log, LogConsumer, LogRecord, PipelineObserver, PollOptions, QueryParams, Topic } from '@strix/contracts';
import { WarehouseError } from '@strix/contracts';
import type { RowBinaryTransport, RowBinaryWarehouse } from '@strix/warehouse/row-binary-inserts';
import type { PipelineOptions } from '../pipeline.ts';
import type { EventDeduperOptions } from '../steps/dedupe.ts';
import { packRecords, type ConsumerPosition } from './remote-ports.ts';
import { RpcPeer, StaleSchemaError, Transferred } from './rpc.ts';

export interface PipelineThreadOptions {
  /** One pipeline per entry (events, and the overflow topic on Kafka), sharing one deduper. */
  readonly pipelines: readonly PipelineOptions[];
  readonly dedupe: EventDeduperOptions;
}

export interface PipelineThreadDeps {
  readonly log: Log;
  /** Its transport (`rowTransport`) sends the thread's encoded inserts the way its own inserts go. */
  readonly warehouse: RowBinaryWarehouse;
  readonly observer: PipelineObserver;
}

const restartDelayMs = 1_000;

const observed = new Set<string>(['eventsInserted', 'duplicatesDropped', 'deadLettered', 'insertFailed'] satisfies (keyof PipelineObserver)[]);

/** Buffers cross threads as Uint8Array; the engines take Buffers. */
const asBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** The engine's error as the inserter acts on it: wrapped once, and marked when the table changed since it was described. */
function insertError(transport: RowBinaryTransport, table: string, error: unknown): WarehouseError {
  const wrapped = error instanceof WarehouseError ? error : transport.wrap(error, `insert into ${table} failed`);
  return transport.isStaleSchema(error) ? new StaleSchemaError(wrapped.message, wrapped.retry, wrapped.code) : wrapped;
}

export class PipelineThread {
  private worker?: Worker;
  private rpc?: RpcPeer;
  private readonly consumers = new Map<number, LogConsumer>();
  private nextConsumer = 0;
  private healthy = true;
  private stopping = false;
  /** The lag when the thread last died, answered until its successor has consumers again. */
  private lastLag = 0;
  private restarting?: Promise<void>;

  private constructor(
    private readonly deps: PipelineThreadDeps,
    private readonly options: PipelineThreadOptions,
  ) {}

  /** Resolves once every pipeline has its consumer and has re-formed any batch left in flight. */
  static async start(deps: PipelineThreadDeps, options: PipelineThreadOptions): Promise<PipelineThread> {
    const thread = new PipelineThread(deps, options);
    await thread.spawn();
    return thread;
  }

  /** Records appended but not yet committed, from this thread's consumers (read synchronously by the edge's backpressure). */
  lag(): number {
    if (this.consumers.size === 0) return this.lastLag;
    let sum = 0;
    for (const consumer of this.consumers.values()) sum += consumer.lag();
    return sum;
  }

  isHealthy(): boolean {
    return this.healthy;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    // A restart under way finishes first, so the thread it starts is stopped too.
    await this.restarting;
    const { worker, rpc } = this;
    if (worker && rpc) {
      await rpc.call('stop', []).catch((error: unknown) => console.error('[strix] pipeline thread did not stop cleanly:', error));
      await worker.terminate();
    }
    await this.closeConsumers();
  }

  /** A thread whose pipelines did not start is terminated, and the error is the caller's. */
  private async spawn(): Promise<void> {
    // The worker's file is TypeScript, loaded as this one was (tsx); its hooks are registered in the worker first.
    const entry = new URL('./pipeline-worker.ts', import.meta.url).href;
    const tsx = import.meta.resolve('tsx/esm/api');
    const code = `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
    const worker = new Worker(code, { eval: true, workerData: this.options, name: 'strix-pipeline' });
    const rpc = new RpcPeer(worker, this.handlers());
    let started = false;
    const died = new Promise<Error>((resolve) => {
      worker.once('error', resolve);
      worker.once('exit', (code) => resolve(new Error(`the pipeline thread exited with code ${code}`)));
    });
    void died.then((error) => {
      rpc.failAll(error);
      // Only a thread that was running is replaced; one that failed to start is its starter's error.
      if (started && this.worker === worker) this.restarting = this.restart(error);
    });
    try {
      await rpc.call('start', []);
    } catch (error) {
      await worker.terminate();
      await this.closeConsumers();
      throw error;
    }
    started = true;
    this.worker = worker;
    this.rpc = rpc;
  }

  /** Starts a thread again after one died, every second until one starts (or the process stops). */
  private async restart(error: Error): Promise<void> {
    this.worker = undefined;
    this.rpc = undefined;
    if (this.stopping) return;
    console.error('[strix] the pipeline thread died; starting it again from the last commit:', error);
    this.healthy = false;
    this.lastLag = this.lag();
    await this.closeConsumers();
    while (!this.stopping) {
      await sleep(restartDelayMs);
      if (this.stopping) return;
      try {
        await this.spawn();
        this.healthy = true;
        return;
      } catch (spawnError) {
        console.error('[strix] the pipeline thread could not start again:', spawnError);
      }
    }
  }

  private async closeConsumers(): Promise<void> {
    const consumers = [...this.consumers.values()];
    this.consumers.clear();
    await Promise.all(consumers.map((c) => c.close().catch(() => undefined)));
  }

  private consumer(id: number): LogConsumer {
    const consumer = this.consumers.get(id);
    if (!consumer) throw new Error(`no consumer ${id} (closed)`);
    return consumer;
  }

  /** What the pipeline thread may ask of this one: exactly the ports it uses. */
  private handlers() {
    const { log, warehouse, observer } = this.deps;
    const transport = warehouse.rowTransport;
    return {
      consumer: async (topic: Topic, group: string): Promise<{ id: number; position: ConsumerPosition }> => {
        const consumer = await log.consumer(topic, group);
        const id = this.nextConsumer++;
        this.consumers.set(id, consumer);
        return { id, position: { assignment: consumer.assignment(), lag: consumer.lag() } };
      },
      poll: async (id: number, options: PollOptions) => {
        const consumer = this.consumer(id);
        const { packed, transfer } = packRecords(await consumer.poll(options), consumer);
        return new Transferred(packed, transfer);
      },
      commit: (id: number, partition: number, nextOffset: number, metadata?: string) => this.consumer(id).commit(partition, nextOffset, metadata),
      committed: (id: number, partition: number) => this.consumer(id).committed(partition),
      rewind: (id: number) => this.consumer(id).rewind(),
      closeConsumer: async (id: number) => {
        const consumer = this.consumers.get(id);
        this.consumers.delete(id);
        await consumer?.close();
      },
      append: (topic: Topic, records: readonly { key: string; value: Uint8Array }[]) =>
        log.append(topic, records.map((r): LogRecord => ({ key: r.key, value: asBuffer(r.value) }))),
      query: (sql: string, params: QueryParams) => warehouse.query(sql, params),
      command: (sql: string, params: QueryParams) => warehouse.command(sql, params),
      sendEncoded: async (table: string, columns: readonly string[], body: Uint8Array, format: string, options?: InsertOptions) => {
        try {
          await transport.sendEncoded(table, columns, asBuffer(body), format, options);
        } catch (error) {
          throw insertError(transport, table, error);
        }
      },
      sendJson: async (table: string, rows: readonly object[], options?: InsertOptions) => {
        try {
          await transport.sendJson(table, rows, options);
        } catch (error) {
          throw insertError(transport, table, error);
        }
      },
      warn: (message: string) => transport.onWarning(message),
      health: (healthy: boolean) => {
        this.healthy = healthy;
      },
      observe: (method: string, ...args: unknown[]) => {
        if (observed.has(method)) (observer[method as keyof PipelineObserver] as (...a: unknown[]) => void)(...args);
      },
    };
  }
}
