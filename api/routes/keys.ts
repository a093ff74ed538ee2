import { z } from 'zod';
import { allowedPermissions, keyTypes, permissions } from '@strix/contracts';
import { createKey, getKey, listKeys, revokeKey, rotateKey, type KeyRow } from '@strix/control';
import { ApiError, NoContent, bodyTime, errorResponses, parseBody, parseParams, type ZodRoutes } from '@strix/http';
import { actorOf } from '../actor.ts';
import { requireProjectRole } from '../team-access.ts';
import { ProjectParams } from './projects.ts';

const hour = 3600_000;
export const KeyLimits = { defaultOverlapHours: 24, maxOverlapHours: 720, maxNameChars: 200 } as const;

export const KeyStatus = z.enum(['active', 'expiring', 'expired', 'revoked']).meta({
  description: 'expiring: works until expires_at (a rotated key’s overlap, or an expiry chosen at creation)',
});

/** A key as it is listed: never its secret nor its hash. */
export const KeyJson = z.object({
  id: z.string(),
  type: z.enum(keyTypes),
  name: z.string(),
  prefix: z.string().meta({ description: 'The key’s first characters, to recognise it' }),
  app_id: z.string().nullable(),
  permissions: z.array(z.string()),
  created_at: z.string(),
  created_by: z.string().nullable().meta({ description: 'The id of the user who created it' }),
  expires_at: z.string().nullable(),
  revoked_at: z.string().nullable(),
  replaced_by: z.string().nullable().meta({ description: 'The key that replaced it when it was rotated' }),
  status: KeyStatus,
});

/** A key just made: the only answer that holds its secret. */
export const NewKeyJson = KeyJson.extend({ key: z.string().meta({ description: 'The secret, shown only in this answer: store it now' }) });

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function statusOf(k: KeyRow, now: number): z.infer<typeof KeyStatus> {
  if (k.revoked_ms !== null) return 'revoked';
  if (k.expires_ms === null) return 'active';
  return k.expires_ms <= now ? 'expired' : 'expiring';
}

export const keyView = (k: KeyRow, now = Date.now()): z.input<typeof KeyJson> => ({
  id: k.id,
  type: k.key_type,
  name: k.name,
  prefix: k.key_prefix,
  app_id: k.app_id,
  permissions: k.permissions,
  created_at: new Date(k.created_ms).toISOString(),
  created_by: k.created_by,
  expires_at: iso(k.expires_ms),
  revoked_at: iso(k.revoked_ms),
  replaced_by: k.replaced_by,
  status: statusOf(k, now),
});

export const newKeyView = (created: { key: KeyRow; secret: string }): z.input<typeof NewKeyJson> => ({ ...keyView(created.key), key: created.secret });

const NewKeyBody = z
  .strictObject({
    type: z.enum(keyTypes, { error: `must be one of ${keyTypes.join(', ')}` }),
    app_id: z.string({ error: 'must be a string' }).min(1, { error: 'must not be empty' }).optional().meta({ description: 'Required for client and import keys; none for agent keys' }),
    name: z.string({ error: 'must be a string' }).trim().max(KeyLimits.maxNameChars, { error: `must be at most ${KeyLimits.maxNameChars} characters` }).optional(),
    permissions: z
      .array(z.enum(permissions, { error: `must be one of ${permissions.join(', ')}` }), { error: 'must be an array of permissions' })
      .optional()
      .meta({ description: 'The type’s defaults when omitted' }),
    expires_at: bodyTime.optional().meta({ description: 'When the key stops working (ISO 8601 or epoch ms); none: it does not expire' }),
  })
  .superRefine((body, ctx) => {
    if (body.type === 'agent' && body.app_id !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['app_id'], message: 'agent keys belong to the whole project, not to an app; leave it out' });
    }
    if (body.type !== 'agent' && body.app_id === undefined) ctx.addIssue({ code: 'custom', path: ['app_id'], message: `is required for ${body.type} keys` });
    const allowed: readonly string[] = allowedPermissions[body.type];
    const refused = body.permissions?.find((p) => !allowed.includes(p));
    if (refused) {
      ctx.addIssue({ code: 'custom', path: ['permissions'], message: `"${refused}" is not allowed for ${body.type} keys; allowed: ${allowed.join(', ')}` });
    }
    if (body.expires_at !== undefined && body.expires_at <= Date.now()) ctx.addIssue({ code: 'custom', path: ['expires_at'], message: 'must be in the future' });
  });

const RotateBody = z.strictObject({
  overlap_hours: z
    .number({ error: 'must be a number' })
    .min(0, { error: 'must be at least 0' })
    .max(KeyLimits.maxOverlapHours, { error: `must be at most ${KeyLimits.maxOverlapHours}` })
    .optional()
    .meta({ description: `How long the old secret keeps working (default ${KeyLimits.defaultOverlapHours})` }),
});

const KeyParams = ProjectParams.extend({ keyId: z.string().min(1) });

/**
 * A project's API keys, managed only by its team's signed-in admins and
 * owners (`auth: 'user'` refuses every API key, so a leaked agent key cannot
 * mint or keep itself alive).
 */
export const keysRoutes: ZodRoutes = async (app) => {
  const config = { auth: 'user' } as const;
  const tags = ['keys'];
  const db = app.control.db;

  app.get(
    '/v1/projects/:projectId/keys',
    { config, schema: { summary: 'The project’s keys, newest first, revoked and expired ones included (admins and owners)', tags, params: ProjectParams, response: { 200: z.object({ keys: z.array(KeyJson) }), ...errorResponses } } },
    async (request) => {
      const { projectId } = parseParams(ProjectParams, request.params);
      await requireProjectRole(request, projectId, 'admin');
      const now = Date.now();
      return { keys: (await listKeys(db, projectId)).map((k) => keyView(k, now)) };
    },
  );

  app.post(
    '/v1/projects/:projectId/keys',
    { config, schema: { summary: 'Create a key; its secret is in this answer only (admins and owners)', tags, params: ProjectParams, body: NewKeyBody, response: { 201: NewKeyJson, ...errorResponses } } },
    async (request, reply) => {
      const { projectId } = parseParams(ProjectParams, request.params);
      await requireProjectRole(request, projectId, 'admin');
      const body = parseBody(NewKeyBody, request.body);
      const actor = actorOf(request);
      const created = await db.transaction((tx) =>
        createKey(tx, projectId, { type: body.type, appId: body.app_id ?? null, name: body.name ?? '', permissions: body.permissions, expiresAt: body.expires_at ?? null, createdBy: request.user!.userId }, actor),
      );
      return reply.code(201).send(newKeyView(created));
    },
  );

  app.post(
    '/v1/projects/:projectId/keys/:keyId/rotate',
    {
      config,
      schema: {
        summary: 'A new secret for a key; the old one keeps working for overlap_hours, then expires (admins and owners)',
        tags,
        params: KeyParams,
        body: RotateBody,
        response: { 201: NewKeyJson.extend({ previous_key: KeyJson }), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { projectId, keyId } = parseParams(KeyParams, request.params);
      await requireProjectRole(request, projectId, 'admin');
      const { overlap_hours = KeyLimits.defaultOverlapHours } = parseBody(RotateBody, request.body);
      const { created, previous } = await db.transaction(async (tx) => {
        const created = await rotateKey(tx, projectId, keyId, overlap_hours * hour, actorOf(request));
        const previous = (await getKey(tx, projectId, keyId))!;
        return { created, previous };
      });
      return reply.code(201).send({ ...newKeyView(created), previous_key: keyView(previous) });
    },
  );

  app.delete(
    '/v1/projects/:projectId/keys/:keyId',
    { config, schema: { summary: 'Revoke a key: every process refuses it within a poll of the control plane (admins and owners)', tags, params: KeyParams, response: { 204: NoContent, ...errorResponses } } },
    async (request, reply) => {
      const { projectId, keyId } = parseParams(KeyParams, request.params);
      await requireProjectRole(request, projectId, 'admin');
      const revoked = await db.transaction((tx) => revokeKey(tx, projectId, keyId, actorOf(request)));
      if (!revoked) throw new ApiError('not_found', `key ${keyId} does not exist in project ${projectId} or is already revoked`);
      return reply.code(204).send(null);
    },
  );
};
