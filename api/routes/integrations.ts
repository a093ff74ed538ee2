import { z } from 'zod';
import { RevenueCatWebhookBody } from '@strix/contracts';
import { RevenueCatIntegrations, type RevenueCatIntegration } from '@strix/control';
import { ApiError, NoContent, errorResponses, literalPath, parseBody, parseParams, type Principal, type ZodRoutes } from '@strix/http';
import { actorOf } from '../actor.ts';

export interface IntegrationRoutesOptions {
  /** The server's master key the integrations' secrets are sealed with; without it these routes answer 503. */
  secretKey: Buffer | undefined;
  /** Where RevenueCat reaches Strix, for the webhook URL. */
  publicUrl: string;
}

const read = { keyType: 'agent', permission: 'integrations:read' } as const;
const write = { keyType: 'agent', permission: 'integrations:write' } as const;
const tags = ['integrations'];

// RevenueCat project ids are short tokens (`proj1ab2c3d4`); the key is a secret API key (`sk_…`), never a public SDK key.
const RevenueCatIntegrationBody = z.strictObject({
  revenuecat_project_id: z
    .string({ error: 'is required (the id in your RevenueCat project URL, e.g. proj1ab2c3d4)' })
    .regex(/^[A-Za-z0-9_-]{1,100}$/, { error: 'must be 1 to 100 letters, digits, "_" or "-" (the id in your RevenueCat project URL, e.g. proj1ab2c3d4)' }),
  api_key: z
    .string({ error: 'must be a string' })
    .regex(/^sk_[A-Za-z0-9_-]{8,200}$/, { error: 'must be a RevenueCat secret API key (sk_ followed by 8 to 200 letters or digits); public SDK keys (appl_, goog_…) cannot read customers' })
    .optional()
    .meta({ description: 'The secret API key (v2, with read access to customer information and project configuration). Required to link; kept when left out of an update. Never shown again.' }),
});

const WebhookSetupJson = z
  .object({
    url: z.string().meta({ description: "The webhook URL to enter in RevenueCat's integration settings" }),
    authorization: z
      .string()
      .nullable()
      .meta({ description: 'The exact Authorization header value to enter there; null for callers without integrations:write' }),
  })
  .meta({ description: 'What RevenueCat needs to send this project its webhooks; shown again on every read, changed only by a rotation' });

const IntegrationJson = z.object({
  revenuecat_project_id: z.string(),
  api_key_last4: z.string().meta({ description: 'The last four characters of the stored secret API key' }),
  webhook_setup: WebhookSetupJson,
  created_at: z.string(),
  updated_at: z.string(),
});

// A project id as the control plane makes them (UUIDs, or ids chosen at creation); checked before anything is looked up.
const WebhookParams = z.strictObject({
  projectId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/, { error: 'must be a Strix project id (letters, digits, "_" and "-")' }),
});

const unauthorized = () => new ApiError('unauthorized', "the Authorization header is not this project's RevenueCat webhook authorization (see webhook_setup of GET /v1/integrations/revenuecat)");

/**
 * A project's RevenueCat integration (integrations:read / integrations:write),
 * and the webhook RevenueCat posts to. A delivery is stored before it is
 * answered; the `revenuecat_webhooks` job processes it within a minute.
 */
export const integrationRoutes: ZodRoutes<IntegrationRoutesOptions> = async (app, options) => {
  let store: RevenueCatIntegrations | undefined;
  const integrations = (): RevenueCatIntegrations => {
    if (!options.secretKey) throw new ApiError('overloaded', 'integrations need the server master key (STRIX_SECRET_KEY), which this process was not given');
    store ??= new RevenueCatIntegrations(app.control.db, options.secretKey);
    return store;
  };
  // The webhook secret lets its holder write customers' subscription state: shown to those who may change the link only.
  const view = async (integration: RevenueCatIntegration, principal: Principal): Promise<z.input<typeof IntegrationJson>> => ({
    revenuecat_project_id: integration.revenuecat_project_id,
    api_key_last4: integration.api_key_last4,
    webhook_setup: {
      url: `${options.publicUrl}/v1/webhooks/revenuecat/${encodeURIComponent(integration.project_id)}`,
      authorization: principal.permissions.includes(write.permission) ? ((await integrations().webhookAuthorization(integration.project_id)) ?? null) : null,
    },
    created_at: new Date(integration.created_at).toISOString(),
    updated_at: new Date(integration.updated_at).toISOString(),
  });

  app.get(
    '/v1/integrations/revenuecat',
    { config: read, schema: { summary: "The project's RevenueCat integration, with its webhook setup", tags, response: { 200: IntegrationJson, ...errorResponses } } },
    async (request) => {
      const integration = await integrations().get(request.principal.projectId);
      if (!integration) throw new ApiError('not_found', 'this project is not linked to RevenueCat: PUT /v1/integrations/revenuecat links it');
      return view(integration, request.principal);
    },
  );

  app.put(
    '/v1/integrations/revenuecat',
    {
      config: write,
      schema: {
        summary: 'Links the project to a RevenueCat project, or changes the link (the webhook authorization stays)',
        tags,
        body: RevenueCatIntegrationBody,
        response: { 200: IntegrationJson, 201: IntegrationJson, ...errorResponses },
      },
    },
    async (request, reply) => {
      const body = parseBody(RevenueCatIntegrationBody, request.body);
      const input = { revenuecat_project_id: body.revenuecat_project_id, ...(body.api_key !== undefined && { api_key: body.api_key }) };
      const { integration, created } = await integrations().put(request.principal.projectId, input, actorOf(request), Date.now());
      return reply.code(created ? 201 : 200).send(await view(integration, request.principal));
    },
  );

  app.post(
    literalPath('/v1/integrations/revenuecat/webhook-secret:rotate'),
    {
      config: write,
      schema: {
        summary: 'Replaces the webhook secret: the old Authorization header is refused from now on; enter the new one in RevenueCat',
        tags,
        response: { 200: IntegrationJson, ...errorResponses },
      },
    },
    async (request) => {
      const integration = await integrations().rotateWebhookSecret(request.principal.projectId, actorOf(request), Date.now());
      if (!integration) throw new ApiError('not_found', 'this project is not linked to RevenueCat: PUT /v1/integrations/revenuecat links it');
      return view(integration, request.principal);
    },
  );

  app.delete(
    '/v1/integrations/revenuecat',
    { config: write, schema: { summary: 'Unlinks the project from RevenueCat (its stored key and webhook secret are deleted)', tags, response: { 204: NoContent, ...errorResponses } } },
    async (request, reply) => {
      if (!(await integrations().delete(request.principal.projectId, actorOf(request)))) throw new ApiError('not_found', 'this project is not linked to RevenueCat');
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/webhooks/revenuecat/:projectId',
    {
      schema: {
        summary: "RevenueCat's webhook: stored at once (once per event id), processed within a minute; no Strix key, RevenueCat's Authorization header instead",
        tags,
        params: WebhookParams,
        body: RevenueCatWebhookBody,
        response: { 200: z.object({ stored: z.boolean().meta({ description: 'false for a redelivered event id, which was stored before' }) }), ...errorResponses },
      },
    },
    async (request) => {
      const { projectId } = parseParams(WebhookParams, request.params);
      // Checked before the body is read: a caller without the secret learns nothing from validation errors.
      if (!(await integrations().checkWebhookAuthorization(projectId, request.headers.authorization))) throw unauthorized();
      const body = parseBody(RevenueCatWebhookBody, request.body);
      return integrations().recordWebhookEvent(projectId, { id: body.event.id, type: body.event.type, body }, Date.now());
    },
  );
};
