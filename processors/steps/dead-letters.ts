import type { DeadLetterSink } from '../dead-letter-sink.ts';
import { noRowRefused, type BatchStep } from './step.ts';

/**
 * Parks every `dlq` of the batch (unreadable records, refused rows) once the
 * insert settled, under the batch's token, so a redone batch parks the same
 * letters and the table keeps one copy.
 */
export function createDeadLetterStep({ deadLetters }: { deadLetters: DeadLetterSink }): BatchStep {
  return async ({ outcomes, token }) => {
    await deadLetters.park(outcomes.letters, token);
    return noRowRefused;
  };
}
