/**
 * In-process notification from the writer to waiting polls: a poll with nothing
 * to read parks here instead of re-reading the disk on a timer.
 */
export class AppendSignal {
  private readonly waiters = new Set<() => void>();
  private closed = false;

  /** Resolves on the next `notify`, after `ms`, on abort, or at once if closed. */
  wait(ms: number, signal: AbortSignal | undefined): Promise<void> {
    if (this.closed || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.waiters.delete(done);
        resolve();
      };
      // setTimeout overflows (and fires at once) past 2^31-1 ms.
      const timer = setTimeout(done, Math.min(ms, 2 ** 31 - 1));
      signal?.addEventListener('abort', done, { once: true });
      this.waiters.add(done);
    });
  }

  /** Wakes every waiter; each re-checks and waits again if there is nothing for it. */
  notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  close(): void {
    this.closed = true;
    this.notify();
  }
}
