/**
 * Calls between the pipeline's thread and the thread that owns the engines,
 * over one MessagePort: requests answered by id, and notices that need no
 * answer. Values cross by structured clone; errors cross as what the caller
 * acts on (a WarehouseError's retry flag and engine code, whether the table's
 * schema went stale), rebuilt on the other side.
 */
import type { MessagePort, TransferListItem, Worker } from 'node:worker_threads';
import { WarehouseError } from '@strix/contracts';

type Port = MessagePort | Worker;

/** A handler per method name; its arguments arrive as they were sent. */
export type Handlers = Record<string, (...args: never[]) => unknown>;

interface SentError {
  readonly message: string;
  readonly warehouse?: { readonly retry: boolean; readonly code?: number };
  readonly staleSchema?: boolean;
}

type Message =
  | { readonly kind: 'call'; readonly id: number; readonly method: string; readonly args: readonly unknown[] }
  | { readonly kind: 'notice'; readonly method: string; readonly args: readonly unknown[] }
  | { readonly kind: 'result'; readonly id: number; readonly value: unknown }
  | { readonly kind: 'error'; readonly id: number; readonly error: SentError };

/** An error that says the table's columns changed since they were described (see RowBinaryTransport). */
export class StaleSchemaError extends WarehouseError {
  readonly staleSchema = true;
}

function send(error: unknown): SentError {
  const message = error instanceof Error ? error.message : String(error);
  if (!(error instanceof WarehouseError)) return { message };
  return {
    message,
    warehouse: { retry: error.retry, ...(error.code !== undefined && { code: error.code }) },
    ...(error instanceof StaleSchemaError && { staleSchema: true }),
  };
}

function rebuild({ message, warehouse, staleSchema }: SentError): Error {
  if (!warehouse) return new Error(message);
  return staleSchema ? new StaleSchemaError(message, warehouse.retry, warehouse.code) : new WarehouseError(message, warehouse.retry, warehouse.code);
}

/** One side of the port: serves its handlers and calls the other side's. */
export class RpcPeer {
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();

  constructor(
    private readonly port: Port,
    private readonly handlers: Handlers,
  ) {
    port.on('message', (message: Message) => this.receive(message));
  }

  call<T>(method: string, args: readonly unknown[], transfer: readonly TransferListItem[] = []): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.port.postMessage({ kind: 'call', id, method, args } satisfies Message, transfer);
    });
  }

  notify(method: string, args: readonly unknown[]): void {
    this.port.postMessage({ kind: 'notice', method, args } satisfies Message);
  }

  /** Fails every call still waiting (the other side is gone). */
  failAll(error: Error): void {
    for (const { reject } of this.waiting.values()) reject(error);
    this.waiting.clear();
  }

  private receive(message: Message): void {
    switch (message.kind) {
      case 'call':
        void this.answer(message.id, message.method, message.args);
        return;
      case 'notice':
        this.handle(message.method, message.args).catch((error: unknown) => console.error(`[strix] pipeline thread: ${message.method} failed:`, error));
        return;
      case 'result':
      case 'error': {
        const waiter = this.waiting.get(message.id);
        this.waiting.delete(message.id);
        if (message.kind === 'result') waiter?.resolve(message.value);
        else waiter?.reject(rebuild(message.error));
        return;
      }
      default:
        return message satisfies never;
    }
  }

  private async answer(id: number, method: string, args: readonly unknown[]): Promise<void> {
    try {
      const value = await this.handle(method, args);
      const transfer = value instanceof Transferred ? value.transfer : [];
      this.port.postMessage({ kind: 'result', id, value: value instanceof Transferred ? value.value : value } satisfies Message, transfer);
    } catch (error) {
      this.port.postMessage({ kind: 'error', id, error: send(error) } satisfies Message);
    }
  }

  private async handle(method: string, args: readonly unknown[]): Promise<unknown> {
    const handler = Object.hasOwn(this.handlers, method) ? this.handlers[method] : undefined;
    if (!handler) throw new Error(`no handler for ${method}`);
    return (handler as (...a: readonly unknown[]) => unknown)(...args);
  }
}

/** A handler's result whose buffers move to the caller instead of being copied. */
export class Transferred<T> {
  constructor(
    readonly value: T,
    readonly transfer: readonly TransferListItem[],
  ) {}
}
