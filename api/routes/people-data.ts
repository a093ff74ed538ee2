import { z } from 'zod';
import { IngestLimits, personDigest } from '@strix/contracts';
import { auditInProject } from '@strix/control';
import { errorResponses, parseParams, type ZodRoutes } from '@strix/http';
import { actorOf } from '../actor.ts';
import { fileFrom } from '../file-stream.ts';
import { triggerProjectJob } from '../job-trigger.ts';
import { TriggerResponses, answerTrigger } from './jobs.ts';

// What the project holds about a person is the project admins' to hand out or erase, as its settings are.
const admin = { keyType: 'agent', permission: 'projects:write' } as const;
const tags = ['users'];

const PersonParams = z.object({
  user_id: z.string().min(1, { error: 'must not be empty' }).max(IngestLimits.maxIdChars, { error: `must be at most ${IngestLimits.maxIdChars} characters` }),
});

/** A file name part from a user id: letters, digits, `-` and `_` only, the rest as `_`. */
const fileSafe = (text: string) => text.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64);

/**
 * The rights of access and erasure for the project's end users: every stored
 * row about one as a file, and a job that removes them from every table. Both
 * are POSTs: a link or a prefetch must not export a person.
 */
export const peopleDataRoutes: ZodRoutes = async (app) => {
  app.post(
    '/v1/people/:user_id/export',
    {
      config: admin,
      schema: {
        summary: "Every stored row about a person, as an NDJSON file (one {table, row} per line)",
        tags,
        params: PersonParams,
        response: { 200: z.string().meta({ description: 'The file: NDJSON, one line per stored row' }), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { user_id: userId } = parseParams(PersonParams, request.params);
      const projectId = request.principal.projectId;
      // The audit log is append-only and outlives an erasure, so it names the person by digest only, as person.deleted does.
      await auditInProject(app.control.db, actorOf(request), projectId, { action: 'person.exported', targetType: 'person', targetId: `sha256:${personDigest(userId)}` });
      const file = await fileFrom(app.analytics.users.exportRows(projectId, userId));
      void reply
        .type('application/x-ndjson')
        .header('content-disposition', `attachment; filename="person-${fileSafe(userId)}.ndjson"`)
        .header('cache-control', 'no-store');
      return reply.send(file as unknown as string);
    },
  );

  app.post(
    '/v1/people/:user_id/delete',
    {
      config: admin,
      schema: {
        summary: 'Starts the person_delete job: the person out of every table of the project',
        tags,
        params: PersonParams,
        response: { ...TriggerResponses, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { user_id: userId } = parseParams(PersonParams, request.params);
      const opened = await triggerProjectJob(app, { projectId: request.principal.projectId, job: 'person_delete', params: { user_id: userId }, actor: actorOf(request) });
      return answerTrigger(reply, 'person_delete', opened, 'one person at a time: try again when it ended');
    },
  );
};
