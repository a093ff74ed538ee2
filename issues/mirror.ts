import type { IssueStateStore, Warehouse } from '@strix/contracts';
import { mirrorComments, mirrorFingerprints, mirrorIssues } from '@strix/warehouse';

const rowsPerRound = 1_000;
// Rows changed again while being copied are picked up by the next round; a store that never stops changing still ends the call.
const maxRounds = 100;

/**
 * Copies issue state that changed in the control plane into the warehouse
 * (of one project, or of all), then marks it copied. A copy is written at the
 * row's version, so copies racing from two processes leave the newest, and a
 * crash between the copy and the mark only copies the row again. Returns how
 * many rows it copied.
 */
export async function mirrorIssueState(wh: Warehouse, state: IssueStateStore, projectId?: string): Promise<number> {
  let copied = 0;
  for (let round = 0; round < maxRounds; round++) {
    const pending = await state.unmirrored(rowsPerRound, projectId);
    const rows = pending.issues.length + pending.routes.length + pending.comments.length;
    if (rows === 0) break;
    await mirrorIssues(wh, pending.issues);
    await mirrorFingerprints(wh, pending.routes);
    await mirrorComments(wh, pending.comments);
    await state.markMirrored(pending);
    copied += rows;
  }
  return copied;
}
