import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import { ChdbSql, ChdbSqlError, quoteString, type BoundParam, type RunOptions } from '@strix/warehouse/chdb-sql';
import { analystScope } from '@strix/warehouse/chdb-engine';
import { AnalystGuard } from './analyst-guard.ts';
import { defaultAnalystLimits, planAnalystSession, type AnalystLimits } from './analyst-settings.ts';
import { ClickHouseHttpError, analystStatusFor } from './errors.ts';
import { analystOutputFormats } from './formats.ts';

export interface AnalystQueryOptions {
  /** The chDB data path: each analyst query opens its own session on it. */
  readonly dataPath: string;
  /** A session of Strix's own, for the engine catalogue and for cancelling queries. */
  readonly trusted: ChdbSql;
  readonly limits?: Partial<AnalystLimits>;
  /** Queries one key may run at once; more answer 429. */
  readonly maxConcurrentPerKey?: number;
  /** Queries of all keys at once; more wait in a bounded queue, then answer 503. */
  readonly maxConcurrent?: number;
  readonly maxQueued?: number;
  readonly queueTimeoutMs?: number;
  /** Output held back before the status line is sent, so early errors still get their own status. */
  readonly headBytes?: number;
  readonly catalogTtlMs?: number;
}

export interface AnalystRequest {
  /** Who is asking, for the per-key cap (a key hash). */
  readonly keyId: string;
  readonly projectId: string;
  readonly sql: string;
  readonly params: Record<string, BoundParam>;
  readonly settings: Record<string, string>;
  readonly defaultFormat: string;
}

/**
 * Runs analyst queries: each in a session of its own, opened with the key's
 * project and the limits fixed (`readonly=1`, so the query cannot change
 * them), concurrently up to the caps, streaming its output with the byte limit
 * counted exactly, and killed when its client goes away.
 */
export class AnalystQueries {
  private readonly guard: AnalystGuard;
  private readonly limits: AnalystLimits;
  private readonly perKey = new Map<string, number>();
  private active = 0;
  private readonly queue: (() => void)[] = [];

  constructor(private readonly options: AnalystQueryOptions) {
    this.guard = new AnalystGuard(options.trusted, options.catalogTtlMs);
    this.limits = { ...defaultAnalystLimits, ...options.limits };
  }

  async run(request: AnalystRequest, reply: FastifyReply, headers: (format: string) => Record<string, string>): Promise<void> {
    const perKeyCap = this.options.maxConcurrentPerKey ?? 2;
    const running = this.perKey.get(request.keyId) ?? 0;
    if (running >= perKeyCap) {
      throw ClickHouseHttpError.of('TOO_MANY_SIMULTANEOUS_QUERIES', `Too many simultaneous queries for this key: at most ${perKeyCap} at once`, 429);
    }
    this.perKey.set(request.keyId, running + 1);
    try {
      await this.acquire();
      try {
        await this.execute(request, reply, headers);
      } finally {
        this.release();
      }
    } finally {
      const left = (this.perKey.get(request.keyId) ?? 1) - 1;
      if (left > 0) this.perKey.set(request.keyId, left);
      else this.perKey.delete(request.keyId);
    }
  }

  private async execute(request: AnalystRequest, reply: FastifyReply, headers: (format: string) => Record<string, string>): Promise<void> {
    const catalog = await this.guard.engineCatalog();
    const plan = planAnalystSession(request.settings, this.limits, catalog.timeZones);
    const scope = analystScope(request.projectId, randomUUID());
    const session = ChdbSql.openFixed(this.options.dataPath, { ...plan.settings, ...scope.settings });
    const abort = new AbortController();
    const gone = () => {
      if (reply.raw.writableFinished) return;
      abort.abort();
      // The stream stops at its next chunk; a query still computing is killed now.
      this.options.trusted
        .run(`KILL QUERY WHERE Settings[${quoteString(scope.setting)}] = ${quoteString(scope.value)} ASYNC`, { format: 'Null' })
        .catch(() => undefined);
    };
    reply.raw.once('close', gone);
    try {
      const guarded = await this.guard.prepare(session, request.sql, request.params);
      const format = guarded.format ?? request.defaultFormat;
      if (!analystOutputFormats.has(format)) throw ClickHouseHttpError.of('UNKNOWN_FORMAT', `Format ${format} is not available to analyst keys`);
      const options = { format, params: request.params, signal: abort.signal };
      const chunks = guarded.streams ? session.stream(guarded.sql, options) : whole(session, guarded.sql, options);
      await this.stream(chunks, plan.limits.maxResultBytes, reply, headers(format), abort.signal);
    } catch (error) {
      throw error instanceof ChdbSqlError ? new ClickHouseHttpError(error.code, error.message, analystStatusFor(error.code, error.message)) : error;
    } finally {
      reply.raw.off('close', gone);
      session.close();
    }
  }

  /**
   * Holds the first `headBytes` back so an error there is answered with its own
   * status; past that, streams with back-pressure (a slow reader holds one
   * chunk, not the result) and, on an error or the byte limit, appends the
   * error text and closes the connection, as ClickHouse does.
   */
  private async stream(chunks: AsyncGenerator<Uint8Array>, maxBytes: number, reply: FastifyReply, headers: Record<string, string>, signal: AbortSignal): Promise<void> {
    const headBytes = this.options.headBytes ?? 1024 * 1024;
    const head: Uint8Array[] = [];
    let sent = 0;
    let next = await chunks.next();
    while (!next.done && sent <= headBytes) {
      sent += next.value.byteLength;
      if (sent > maxBytes) throw outputLimit(maxBytes);
      head.push(next.value);
      next = await chunks.next();
    }
    if (next.done) {
      await reply.headers(headers).send(Buffer.concat(head));
      return;
    }
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, headers);
    for (const chunk of head) raw.write(chunk);
    try {
      for (; !next.done; next = await chunks.next()) {
        sent += next.value.byteLength;
        if (sent > maxBytes) throw outputLimit(maxBytes);
        if (!raw.write(next.value)) await once(raw, 'drain', { signal });
      }
      raw.end();
    } catch (error) {
      if (!signal.aborted) raw.end(`\n${errorText(error)}`);
      raw.destroy();
      await chunks.return(undefined);
    }
  }

  private async acquire(): Promise<void> {
    if (this.active < (this.options.maxConcurrent ?? 4)) {
      this.active++;
      return;
    }
    if (this.queue.length >= (this.options.maxQueued ?? 32)) throw busy();
    await new Promise<void>((resolve, reject) => {
      const wake = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.queue.splice(this.queue.indexOf(wake), 1);
        reject(busy());
      }, this.options.queueTimeoutMs ?? 10_000);
      this.queue.push(wake);
    });
  }

  private release(): void {
    const next = this.queue.shift();
    if (next) next(); // the slot passes straight to the next waiter
    else this.active--;
  }
}

/** A statement the engine cannot stream (SHOW, DESCRIBE, EXISTS: a few rows), as one chunk. */
async function* whole(session: ChdbSql, sql: string, options: RunOptions): AsyncGenerator<Uint8Array> {
  yield (await session.run(sql, options)).bytes;
}

const busy = () => ClickHouseHttpError.of('TOO_MANY_SIMULTANEOUS_QUERIES', 'Too many simultaneous analyst queries on this server; retry shortly', 503);
const outputLimit = (maxBytes: number) => ClickHouseHttpError.of('TOO_MANY_ROWS_OR_BYTES', `Limit for result exceeded: the output is larger than ${maxBytes} bytes; add a LIMIT or aggregate`, 400);

function errorText(error: unknown): string {
  if (error instanceof ClickHouseHttpError || error instanceof ChdbSqlError) return error.message.trimEnd();
  return 'Code: 1001. DB::Exception: internal error. (STD_EXCEPTION)';
}
