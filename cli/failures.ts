/**
 * What can go wrong, each with the exit code scripts rely on (README,
 * "Command line and MCP"). Every failure the CLI expects is one of these
 * classes; anything else is a bug and exits 3 with its stack.
 */
export const ExitCodes = {
  ok: 0,
  /** The server refused the request (4xx): its error is printed. */
  refused: 1,
  /** The command line was wrong: an unknown command or option, a missing argument, no key. */
  usage: 2,
  /** The server could not be reached, or failed (5xx). */
  unavailable: 3,
  /** A job the command waited for ended failed or cancelled. */
  jobFailed: 4,
} as const;
export type ExitCode = (typeof ExitCodes)[keyof typeof ExitCodes];

export class UsageError extends Error {
  readonly exitCode = ExitCodes.usage;
  constructor(
    message: string,
    /** The command whose help explains the mistake (`events list`). */
    readonly command?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A 4xx answer: `code` and `message` are the server's (`{"error","message"}`, or a ClickHouse error text). */
export class ServerRefused extends Error {
  readonly exitCode = ExitCodes.refused;
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ServerRefused';
  }
}

/** No answer (connection refused, DNS, timeout) or a 5xx. */
export class ServerUnavailable extends Error {
  readonly exitCode = ExitCodes.unavailable;
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ServerUnavailable';
  }
}

/** A job run that ended other than completed. */
export class JobEnded extends Error {
  readonly exitCode = ExitCodes.jobFailed;
  constructor(message: string) {
    super(message);
    this.name = 'JobEnded';
  }
}

export type Failure = UsageError | ServerRefused | ServerUnavailable | JobEnded;

export const isFailure = (error: unknown): error is Failure =>
  error instanceof UsageError || error instanceof ServerRefused || error instanceof ServerUnavailable || error instanceof JobEnded;

/** One line for stderr: what went wrong, with the server's words. */
export function describeFailure(error: Failure): string {
  if (error instanceof ServerRefused) return `the server refused the request (${error.status} ${error.code}): ${error.message}`;
  if (error instanceof ServerUnavailable) return error.status === undefined ? error.message : `the server failed (${error.status}): ${error.message}`;
  return error.message;
}
