/**
 * The pipeline thread's side of the ports: Log, LogConsumer, Warehouse and
 * PipelineObserver, each a call to the thread that owns the engines (see
 * pipeline-thread.ts). Rows never cross as objects: the warehouse's inserter
 * encodes them here, and only the RowBinary payload crosses.
 */
import type {
  CommittedPosition,
  ConsumedRecord,
  InsertOptions,
  Log,
  LogConsumer,
  LogRecord,
  OutputFormat,
  PipelineObserver,
  PollOptions,
  QueryParams,
  Topic,
  Warehouse,
} from '@strix/contracts';
import { WarehouseError } from '@strix/contracts';
import { RowBinaryInserts } from '@strix/warehouse/row-binary-inserts';
import { StaleSchemaError, type RpcPeer } from './rpc.ts';

/** A poll's records as one buffer of values and where each one lies in it (see packRecords). */
export interface PackedRecords {
  readonly records: readonly { readonly topic: Topic; readonly partition: number; readonly offset: number; readonly key: string; readonly end: number }[];
  readonly values: ArrayBuffer;
  /** The consumer's assignment and lag as of this poll. */
  readonly assignment: readonly number[];
  readonly lag: number;
}

/** One copy of every value into a buffer the caller can transfer, instead of a clone per record. */
export function packRecords(records: readonly ConsumedRecord[], consumer: LogConsumer): { packed: PackedRecords; transfer: ArrayBuffer[] } {
  let bytes = 0;
  for (const r of records) bytes += r.value.length;
  const values = new ArrayBuffer(bytes);
  const target = new Uint8Array(values);
  let end = 0;
  const placed = records.map(({ topic, partition, offset, key, value }) => {
    target.set(value, end);
    end += value.length;
    return { topic, partition, offset, key, end };
  });
  return { packed: { records: placed, values, assignment: consumer.assignment(), lag: consumer.lag() }, transfer: [values] };
}

function unpackRecords({ records, values }: PackedRecords): ConsumedRecord[] {
  let start = 0;
  return records.map(({ end, ...record }) => {
    const value = Buffer.from(values, start, end - start);
    start = end;
    return { ...record, value };
  });
}

export type ConsumerPosition = Pick<PackedRecords, 'assignment' | 'lag'>;

class RemoteConsumer implements LogConsumer {
  constructor(
    private readonly rpc: RpcPeer,
    private readonly id: number,
    private position: ConsumerPosition,
  ) {}

  async poll(options: PollOptions): Promise<ConsumedRecord[]> {
    // A signal cannot cross threads; a poll waits at most maxWaitMs, so a stopping pipeline is not held long.
    const { maxRecords, maxBytes, maxWaitMs } = options;
    const packed = await this.rpc.call<PackedRecords>('poll', [this.id, { maxRecords, maxBytes, maxWaitMs }]);
    this.position = { assignment: packed.assignment, lag: packed.lag };
    return unpackRecords(packed);
  }

  /** As of the last poll: the pipeline reads it right after one (see EventPipeline.loop). */
  assignment(): readonly number[] {
    return this.position.assignment;
  }

  commit(partition: number, nextOffset: number, metadata?: string): Promise<void> {
    return this.rpc.call('commit', [this.id, partition, nextOffset, metadata]);
  }

  committed(partition: number): Promise<CommittedPosition> {
    return this.rpc.call('committed', [this.id, partition]);
  }

  rewind(): Promise<void> {
    return this.rpc.call('rewind', [this.id]);
  }

  lag(): number {
    return this.position.lag;
  }

  close(): Promise<void> {
    return this.rpc.call('closeConsumer', [this.id]);
  }
}

export class RemoteLog implements Log {
  constructor(private readonly rpc: RpcPeer) {}

  append(topic: Topic, records: readonly LogRecord[]): Promise<void> {
    return this.rpc.call('append', [topic, records]);
  }

  async consumer(topic: Topic, group: string): Promise<LogConsumer> {
    const { id, position } = await this.rpc.call<{ id: number; position: ConsumerPosition }>('consumer', [topic, group]);
    return new RemoteConsumer(this.rpc, id, position);
  }

  /** The appends that count (the edge's) are the other thread's. */
  pendingBytes(): number {
    return 0;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Payloads this large have a buffer of their own (smaller ones may share Node's pool), so it can move instead of being copied. */
const transferable = (body: Buffer) => (body.byteLength >= Buffer.poolSize ? [body.buffer as ArrayBuffer] : []);

export class RemoteWarehouse implements Warehouse {
  private readonly inserts: RowBinaryInserts;

  constructor(private readonly rpc: RpcPeer) {
    this.inserts = new RowBinaryInserts({
      query: (sql, params) => this.query(sql, params),
      sendEncoded: (table, columns, body, format, options) => rpc.call('sendEncoded', [table, columns, body, format, options], transferable(body)),
      sendJson: (table, rows, options) => rpc.call('sendJson', [table, rows, options]),
      isStaleSchema: (error) => error instanceof StaleSchemaError,
      // The owning thread wrapped the engine's error already (see PipelineThread); anything else is the crossing's.
      wrap: (error, what) => (error instanceof WarehouseError ? error : new WarehouseError(`${what}: ${String(error)}`, true)),
      onWarning: (message) => rpc.notify('warn', [message]),
    });
  }

  insert(table: string, rows: readonly object[], options?: InsertOptions): Promise<void> {
    return this.inserts.insert(table, rows, options);
  }

  query<Row>(sql: string, params: QueryParams = {}): Promise<Row[]> {
    return this.rpc.call('query', [sql, params]);
  }

  command(sql: string, params: QueryParams = {}): Promise<void> {
    return this.rpc.call('command', [sql, params]);
  }

  /** The pipeline never streams. */
  stream(_sql: string, _params: QueryParams, _format: OutputFormat): AsyncIterable<Uint8Array> {
    throw new WarehouseError('streaming is not available on the pipeline thread', false);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

export function remoteObserver(rpc: RpcPeer): PipelineObserver {
  return {
    eventsInserted: (count, seconds) => rpc.notify('observe', ['eventsInserted', count, seconds]),
    duplicatesDropped: (count) => rpc.notify('observe', ['duplicatesDropped', count]),
    deadLettered: (reason, count) => rpc.notify('observe', ['deadLettered', reason, count]),
    insertFailed: () => rpc.notify('observe', ['insertFailed']),
  };
}
