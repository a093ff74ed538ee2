/**
 * What every processor step hands back. Expected outcomes — an event filtered out, a
 * record that can never be processed — are values rather than exceptions, so the
 * consumer decides in one place how each outcome is committed, counted and routed.
 */
export type StepResult<T> =
  | { kind: 'ok'; value: T }
  | { kind: 'drop'; reason: string }
  | { kind: 'dlq'; reason: string; error?: unknown };

export function ok<T>(value: T): StepResult<T> {
  return { kind: 'ok', value };
}

/** The input is fine but intentionally not processed further (e.g. a duplicate). */
export function drop(reason: string): StepResult<never> {
  return { kind: 'drop', reason };
}

/** The input can never be processed; park it on the dead-letter topic with the reason. */
export function dlq(reason: string, error?: unknown): StepResult<never> {
  return error === undefined ? { kind: 'dlq', reason } : { kind: 'dlq', reason, error };
}
