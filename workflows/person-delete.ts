import { jobTypes, recordedParams } from '@strix/contracts';
import { attachmentBlobKey, auditInProject, deletePersonAttachments, systemActor, type ControlPlane } from '@strix/control';
import { approximatePersonTables, deletePersonData } from '@strix/warehouse';
import type { BlobStore, Warehouse } from '@strix/contracts';
import type { JobBody } from './jobs.ts';

/**
 * `person_delete`: one end user's rows out of every person table of the
 * project and their attachments (the right of erasure), recorded in the audit log. Events of the
 * person still in flight (the log, an app's offline queue) are stored after
 * it: running the job again removes them. Approximate uniq states keep a hash
 * of the id (`approximatePersonTables`): they count the person, never name them.
 * The audit record, the summary and (once it ended) the run's parameters name
 * the person by the SHA-256 of their id only: whoever holds the id can check it
 * was erased; the record itself does not keep it.
 */
export function personDeleteBody(deps: { warehouse: Warehouse; directory: ControlPlane; blobs?: BlobStore }): JobBody {
  return async (ctx) => {
    const projectId = ctx.run.projectId;
    if (projectId === null) throw new Error('person_delete runs for one project');
    const { user_id: userId } = jobTypes.person_delete.projectParams.parse(ctx.run.params);
    const digest = String(recordedParams('person_delete', { user_id: userId }).user_id_sha256);
    await ctx.progress({ message: 'deleting the person’s rows' });
    const rowsDeleted = await deletePersonData(deps.warehouse, projectId, userId);
    await ctx.progress({ message: 'deleting the person’s attachments' });
    const attachments = await deletePersonAttachments(deps.directory.db, projectId, userId);
    for (const id of attachments) await deps.blobs?.delete(attachmentBlobKey(id));
    await auditInProject(deps.directory.db, systemActor('person_delete'), projectId, {
      action: 'person.deleted',
      targetType: 'person',
      targetId: `sha256:${digest}`,
      details: { run_id: ctx.run.runId, rows_deleted: rowsDeleted, attachments_deleted: attachments.length },
    });
    return { user_id_sha256: digest, rowsDeleted, attachmentsDeleted: attachments.length, keptInApproximateCounts: Object.keys(approximatePersonTables) };
  };
}
