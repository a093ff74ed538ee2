import { jobTypes } from '@strix/contracts';
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
 */
export function personDeleteBody(deps: { warehouse: Warehouse; directory: ControlPlane; blobs?: BlobStore }): JobBody {
  return async (ctx) => {
    const projectId = ctx.run.projectId;
    if (projectId === null) throw new Error('person_delete runs for one project');
    const { user_id: userId } = jobTypes.person_delete.projectParams.parse(ctx.run.params);
    await ctx.progress({ message: 'deleting the person’s rows' });
    const rowsDeleted = await deletePersonData(deps.warehouse, projectId, userId);
    await ctx.progress({ message: 'deleting the person’s attachments' });
    const attachments = await deletePersonAttachments(deps.directory.db, projectId, userId);
    for (const id of attachments) await deps.blobs?.delete(attachmentBlobKey(id));
    await auditInProject(deps.directory.db, systemActor('person_delete'), projectId, {
      action: 'person.deleted',
      targetType: 'person',
      targetId: userId,
      details: { run_id: ctx.run.runId, rows_deleted: rowsDeleted, attachments_deleted: attachments.length },
    });
    return { user_id: userId, rowsDeleted, attachmentsDeleted: attachments.length, keptInApproximateCounts: Object.keys(approximatePersonTables) };
  };
}
