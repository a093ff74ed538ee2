import { RevenueCatIntegrations, type ControlPlane } from '@strix/control';
import { RevenueCatClient, type CallOptions, type RevenueCatClientOptions, type RevenueCatSubscription } from './client.ts';
import { propertiesFromCustomer, revenueCatCatalogue, type RevenueCatCatalogue, type RevenueCatProperties } from './properties.ts';

/** How the jobs reach RevenueCat: its base URL (STRIX_REVENUECAT_URL) and the client's limits (tests shrink the window). */
export interface RevenueCatSettings {
  readonly baseUrl?: string;
  readonly client?: Partial<Omit<RevenueCatClientOptions, 'apiKey' | 'baseUrl'>>;
}

/**
 * RevenueCat allows 480 requests a minute per key. One process sends at most
 * half: a worker killed mid-minute and the one that takes its step over then
 * stay under the limit together, as do two processes reading one project.
 */
export const requestsPerMinutePerProcess = 240;

/** The catalogue changes rarely and costs two requests of a domain limited to 60 a minute. */
const catalogueTtlMs = 10 * 60_000;

/** One linked project as the jobs use it. */
export interface LinkedProject {
  readonly rc: RevenueCatClient;
  readonly revenuecatProjectId: string;
  catalogue(options?: CallOptions): Promise<RevenueCatCatalogue>;
  /** A customer's current rc_* properties, or undefined when RevenueCat does not know the id (v2: never creates one). */
  readCustomer(customerId: string, options?: CallOptions): Promise<{ customerId: string; properties: RevenueCatProperties } | undefined>;
}

/**
 * The projects' RevenueCat links, with one client per API key for the life of
 * the activities object: its rate limiter and Retry-After pauses hold across
 * steps and across runs (sync, backfill, webhooks) of one key.
 */
export class RevenueCatLinks {
  private readonly clients = new Map<string, { rc: RevenueCatClient; catalogue?: { at: number; value: Promise<RevenueCatCatalogue> } }>();
  private store: RevenueCatIntegrations | undefined;

  constructor(
    private readonly deps: { directory: ControlPlane; secretKey?: Buffer; settings?: RevenueCatSettings; now?: () => number },
  ) {}

  integrations(): RevenueCatIntegrations {
    if (!this.deps.secretKey) throw new Error('RevenueCat integrations need the server master key (STRIX_SECRET_KEY, or the one generated in the data directory)');
    this.store ??= new RevenueCatIntegrations(this.deps.directory.db, this.deps.secretKey);
    return this.store;
  }

  async forProject(projectId: string): Promise<LinkedProject | undefined> {
    const link = await this.integrations().link(projectId);
    if (!link) return undefined;
    let entry = this.clients.get(link.apiKey);
    if (!entry) {
      const rc = new RevenueCatClient({
        requestsPerMinute: requestsPerMinutePerProcess,
        ...this.deps.settings?.client,
        apiKey: link.apiKey,
        ...(this.deps.settings?.baseUrl && { baseUrl: this.deps.settings.baseUrl }),
      });
      entry = { rc };
      this.clients.set(link.apiKey, entry);
    }
    const held = entry;
    const project = link.revenuecatProjectId;
    const now = this.deps.now ?? Date.now;
    const catalogue = (options?: CallOptions) => {
      if (!held.catalogue || held.catalogue.at + catalogueTtlMs < now()) {
        const value = Promise.all([held.rc.listProducts(project, options), held.rc.listEntitlements(project, options)]).then(([p, e]) => revenueCatCatalogue(p, e));
        // A failed read is not kept: the next caller asks again.
        value.catch(() => (held.catalogue = undefined));
        held.catalogue = { at: now(), value };
      }
      return held.catalogue.value;
    };
    return {
      rc: held.rc,
      revenuecatProjectId: project,
      catalogue,
      async readCustomer(customerId, options) {
        const customer = await held.rc.getCustomer(project, customerId, options);
        if (!customer) return undefined;
        const subscriptions: RevenueCatSubscription[] = await held.rc.listSubscriptions(project, customer.id, options);
        const properties = propertiesFromCustomer({ subscriptions, activeEntitlements: customer.active_entitlements?.items ?? [] }, await catalogue(options));
        return { customerId: customer.id, properties };
      },
    };
  }
}
