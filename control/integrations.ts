import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { DomainError } from '@strix/contracts';
import { auditInProject, type Actor } from './audit.ts';
import type { ControlDb } from './db.ts';
import { SecretBox } from './secret-box.ts';

/**
 * A project's RevenueCat integration (`sql/007_revenuecat.sql`): the RevenueCat
 * project it reads, its secret API key and the webhook secret, both sealed
 * under keys derived from the server's master key; and the webhook deliveries,
 * stored before they are answered and processed after.
 */

/** What the API shows of an integration: never the key, only its last four characters. */
export interface RevenueCatIntegration {
  project_id: string;
  revenuecat_project_id: string;
  api_key_last4: string;
  created_at: number;
  updated_at: number;
}

export interface RevenueCatLink {
  revenuecatProjectId: string;
  /** The secret API key, opened: for the RevenueCat client alone. */
  apiKey: string;
}

export interface RevenueCatIntegrationInput {
  revenuecat_project_id: string;
  /** Required to link; when absent on an update, the stored key stays. */
  api_key?: string;
}

export type WebhookEventStatus = 'pending' | 'processed' | 'failed';

export interface StoredWebhookEvent {
  project_id: string;
  event_id: string;
  event_type: string;
  /** The delivery's body as received (validated by the webhook route). */
  body: unknown;
  status: WebhookEventStatus;
  attempts: number;
  error: string;
  received_at: number;
  processed_at: number | null;
}

/** Failed processing attempts after which an event is left `failed` (each drain tries a pending one again). */
export const maxWebhookAttempts = 10;

const columns = 'project_id, revenuecat_project_id, api_key_last4, created_at, updated_at';
const eventColumns = 'project_id, event_id, event_type, body, status, attempts, error, received_at, processed_at';

// The purposes the two secrets are sealed for: a value sealed for one does not open as the other.
const apiKeyPurpose = 'revenuecat-api-key';
const webhookPurpose = 'revenuecat-webhook-secret';

export class RevenueCatIntegrations {
  private readonly apiKeys: SecretBox;
  private readonly webhookSecrets: SecretBox;
  /** Opened in place of a missing project's secret, so an unknown project costs what a linked one does. */
  private readonly placeholder: string;

  constructor(
    private readonly db: ControlDb,
    master: Buffer,
  ) {
    this.apiKeys = new SecretBox(master, apiKeyPurpose);
    this.webhookSecrets = new SecretBox(master, webhookPurpose);
    this.placeholder = this.webhookSecrets.seal(randomBytes(32).toString('base64url'));
  }

  async get(projectId: string): Promise<RevenueCatIntegration | undefined> {
    const [row] = await this.db.query<RevenueCatIntegration>(`SELECT ${columns} FROM revenuecat_integrations WHERE project_id = $1`, [projectId]);
    return row;
  }

  /** The RevenueCat project and the opened API key, for the jobs. */
  async link(projectId: string): Promise<RevenueCatLink | undefined> {
    const [row] = await this.db.query<{ revenuecat_project_id: string; api_key_sealed: string }>(
      'SELECT revenuecat_project_id, api_key_sealed FROM revenuecat_integrations WHERE project_id = $1',
      [projectId],
    );
    return row && { revenuecatProjectId: row.revenuecat_project_id, apiKey: this.apiKeys.open(row.api_key_sealed) };
  }

  /** The exact Authorization header value RevenueCat must send with the project's webhooks. */
  async webhookAuthorization(projectId: string): Promise<string | undefined> {
    const [row] = await this.db.query<{ webhook_secret_sealed: string }>('SELECT webhook_secret_sealed FROM revenuecat_integrations WHERE project_id = $1', [projectId]);
    return row && `Bearer ${this.webhookSecrets.open(row.webhook_secret_sealed)}`;
  }

  /**
   * Whether `authorization` is the project's webhook header, in time that does not depend on where it differs,
   * nor on whether the project is linked: an unlinked project opens and compares a placeholder the same way.
   */
  async checkWebhookAuthorization(projectId: string, authorization: string | undefined): Promise<boolean> {
    const [row] = await this.db.query<{ webhook_secret_sealed: string }>('SELECT webhook_secret_sealed FROM revenuecat_integrations WHERE project_id = $1', [projectId]);
    const expected = `Bearer ${this.webhookSecrets.open(row?.webhook_secret_sealed ?? this.placeholder)}`;
    // Hashed first: timingSafeEqual needs equal lengths, and the digests reveal nothing of the secret's length.
    const digest = (text: string) => createHash('sha256').update(text).digest();
    return timingSafeEqual(digest(authorization ?? ''), digest(expected)) && row !== undefined;
  }

  /** Links the project, or changes its link; the webhook secret is made once and kept. Audited. */
  async put(projectId: string, input: RevenueCatIntegrationInput, actor: Actor, at: number): Promise<{ integration: RevenueCatIntegration; created: boolean }> {
    return this.db.transaction(async (tx) => {
      const [current] = await tx.query<{ api_key_sealed: string; api_key_last4: string }>(
        'SELECT api_key_sealed, api_key_last4 FROM revenuecat_integrations WHERE project_id = $1 FOR UPDATE',
        [projectId],
      );
      if (!current && input.api_key === undefined) throw new DomainError('invalid', 'api_key: is required to link a project (its RevenueCat secret API key, sk_…)');
      const key = input.api_key === undefined ? current! : { api_key_sealed: this.apiKeys.seal(input.api_key), api_key_last4: input.api_key.slice(-4) };
      const [row] = await tx.query<RevenueCatIntegration>(
        `INSERT INTO revenuecat_integrations (project_id, revenuecat_project_id, api_key_sealed, api_key_last4, webhook_secret_sealed, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6)
         ON CONFLICT (project_id) DO UPDATE SET revenuecat_project_id = EXCLUDED.revenuecat_project_id, api_key_sealed = EXCLUDED.api_key_sealed,
           api_key_last4 = EXCLUDED.api_key_last4, updated_at = EXCLUDED.updated_at
         RETURNING ${columns}`,
        [projectId, input.revenuecat_project_id, key.api_key_sealed, key.api_key_last4, this.webhookSecrets.seal(randomBytes(32).toString('base64url')), at],
      );
      await auditInProject(tx, actor, projectId, {
        action: current ? 'integration.updated' : 'integration.created',
        targetType: 'integration',
        targetId: 'revenuecat',
        details: { revenuecat_project_id: input.revenuecat_project_id, api_key_changed: input.api_key !== undefined },
      });
      return { integration: row!, created: !current };
    });
  }

  /** A new webhook secret for the project (the old header is refused from now on); undefined when it is not linked. Audited. */
  async rotateWebhookSecret(projectId: string, actor: Actor, at: number): Promise<RevenueCatIntegration | undefined> {
    return this.db.transaction(async (tx) => {
      const [row] = await tx.query<RevenueCatIntegration>(
        `UPDATE revenuecat_integrations SET webhook_secret_sealed = $2, updated_at = $3 WHERE project_id = $1 RETURNING ${columns}`,
        [projectId, this.webhookSecrets.seal(randomBytes(32).toString('base64url')), at],
      );
      if (row) await auditInProject(tx, actor, projectId, { action: 'integration.webhook_secret_rotated', targetType: 'integration', targetId: 'revenuecat' });
      return row;
    });
  }

  /** Unlinks the project (its stored webhook events go too); false when it was not linked. Audited. */
  async delete(projectId: string, actor: Actor): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const deleted = await tx.query('DELETE FROM revenuecat_integrations WHERE project_id = $1 RETURNING project_id', [projectId]);
      if (deleted.length === 0) return false;
      await tx.query('DELETE FROM revenuecat_webhook_events WHERE project_id = $1', [projectId]);
      await auditInProject(tx, actor, projectId, { action: 'integration.deleted', targetType: 'integration', targetId: 'revenuecat' });
      return true;
    });
  }

  /** Stores a delivery as pending; a redelivered event id is stored once (`stored: false`). */
  async recordWebhookEvent(projectId: string, event: { id: string; type: string; body: unknown }, at: number): Promise<{ stored: boolean }> {
    const rows = await this.db.query(
      `INSERT INTO revenuecat_webhook_events (project_id, event_id, event_type, body, status, received_at)
       VALUES ($1, $2, $3, $4::jsonb, 'pending', $5) ON CONFLICT (project_id, event_id) DO NOTHING RETURNING event_id`,
      [projectId, event.id, event.type, JSON.stringify(event.body), at],
    );
    return { stored: rows.length > 0 };
  }

  async webhookEvent(projectId: string, eventId: string): Promise<StoredWebhookEvent | undefined> {
    const [row] = await this.db.query<StoredWebhookEvent>(`SELECT ${eventColumns} FROM revenuecat_webhook_events WHERE project_id = $1 AND event_id = $2`, [projectId, eventId]);
    return row;
  }

  /** Pending events, oldest first (of one project, or every project's). */
  async pendingWebhookEvents(limit: number, projectId?: string): Promise<StoredWebhookEvent[]> {
    return this.db.query<StoredWebhookEvent>(
      `SELECT ${eventColumns} FROM revenuecat_webhook_events
       WHERE status = 'pending' AND ($1::text IS NULL OR project_id = $1) ORDER BY received_at, project_id, event_id LIMIT $2`,
      [projectId ?? null, limit],
    );
  }

  async markWebhookEventProcessed(projectId: string, eventId: string, at: number): Promise<void> {
    await this.db.query(
      `UPDATE revenuecat_webhook_events SET status = 'processed', attempts = attempts + 1, error = '', processed_at = $3
       WHERE project_id = $1 AND event_id = $2 AND status = 'pending'`,
      [projectId, eventId, at],
    );
  }

  /** Records a failed attempt: the event stays pending until `maxWebhookAttempts`, then is left failed with the error. */
  async markWebhookEventFailed(projectId: string, eventId: string, error: string, at: number, retry = true): Promise<void> {
    await this.db.query(
      `UPDATE revenuecat_webhook_events SET attempts = attempts + 1, error = $3,
         status = CASE WHEN $5::boolean AND attempts + 1 < $6 THEN 'pending' ELSE 'failed' END,
         processed_at = CASE WHEN $5::boolean AND attempts + 1 < $6 THEN NULL ELSE $4::int8 END
       WHERE project_id = $1 AND event_id = $2 AND status = 'pending'`,
      [projectId, eventId, error.slice(0, 2_000), at, retry, maxWebhookAttempts],
    );
  }

  /** Deletes up to `limit` deliveries that ended (processed or failed for good) before `before`; how many it deleted. */
  async purgeWebhookEvents(before: number, limit: number): Promise<number> {
    const rows = await this.db.query(
      `DELETE FROM revenuecat_webhook_events WHERE (project_id, event_id) IN (
         SELECT project_id, event_id FROM revenuecat_webhook_events WHERE status <> 'pending' AND processed_at < $1 LIMIT $2)
       RETURNING event_id`,
      [before, limit],
    );
    return rows.length;
  }
}
