/**
 * The issue status lifecycle. People (users and agents) move issues between
 * statuses through the API; only the scan sets `regressed`. Issues start as
 * `new`, whether the scan opened them or an unmerge split them out.
 *
 *   new         → in_progress | resolved | silenced
 *   in_progress → resolved | silenced | new (un-claim)
 *   resolved    → new (reopen); → regressed by the scan
 *   regressed   → in_progress | resolved | silenced
 *   silenced    → new (reopen)
 *
 * Resolving or silencing straight from `new` is allowed, as any triage queue
 * needs; a resolved issue that comes back in an older or unknown version stays
 * resolved (see versions.ts).
 */
import { type IssueStatus } from '@strix/contracts';

const manual: Record<IssueStatus, readonly IssueStatus[]> = {
  new: ['in_progress', 'resolved', 'silenced'],
  in_progress: ['resolved', 'silenced', 'new'],
  resolved: ['new'],
  regressed: ['in_progress', 'resolved', 'silenced'],
  silenced: ['new'],
};

/** Statuses a person may move an issue to from `from`. */
export function allowedTransitions(from: IssueStatus): readonly IssueStatus[] {
  return manual[from];
}

export type TransitionCheck = { ok: true } | { ok: false; reason: string; allowed: readonly IssueStatus[] };

/** Whether a person may move an issue from `from` to `to`; the reason names the allowed moves when not. */
export function checkTransition(from: IssueStatus, to: IssueStatus): TransitionCheck {
  const allowed = manual[from];
  if (allowed.includes(to)) return { ok: true };
  const why =
    to === 'regressed'
      ? 'only the issue scan marks an issue regressed'
      : from === to
        ? `the issue is already ${from}`
        : `an issue that is ${from} cannot become ${to}`;
  return { ok: false, reason: `${why}; from ${from} it may become ${allowed.join(', ')}`, allowed };
}
