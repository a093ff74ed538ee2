// What the engine starters share: file checks, log tails, and running one as a command until Ctrl-C.
import { access } from 'node:fs/promises';

export async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** The last lines of an engine's log, for an error message. */
export function lastLines(text: string, lines = 40): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}

/** Stops the engine and exits on SIGINT or SIGTERM: an engine started from the command line (`npx tsx testkit/engines/….ts`). */
export function stopOnSignal(stop: () => Promise<void>): void {
  const shutdown = () => {
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}
