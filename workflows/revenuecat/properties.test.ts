import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
// testkit/package.json has no export for the stand-in yet; with a "./revenuecat" entry this becomes `@strix/testkit/revenuecat`.
import { standinCatalogue, standinCustomers } from '@strix/testkit/revenuecat-standin';
import { RevenueCatEntitlement, RevenueCatProduct, RevenueCatSubscriber, RevenueCatSubscription, RevenueCatActiveEntitlement } from './client.ts';
import {
  billingPeriod,
  mapWebhookEvent,
  propertiesFromCustomer,
  propertiesFromSubscriber,
  revenueCatCatalogue,
  RevenueCatWebhookBody,
  type RevenueCatProperties,
} from './properties.ts';

const day = 86_400_000;
const now = Date.parse('2026-03-01T12:00:00Z');
const at = (offsetDays: number) => new Date(now + offsetDays * day).toISOString();

/** A v1 subscriber holding one subscription to `strix_monthly` (and its `pro` entitlement), changed by `fields`. */
function subscriberWith(fields: Record<string, unknown>, entitlementFields: Record<string, unknown> = {}): RevenueCatSubscriber {
  const subscription = { purchase_date: at(-10), expires_date: at(20), period_type: 'normal', store: 'app_store', unsubscribe_detected_at: null, billing_issues_detected_at: null, grace_period_expires_date: null, refunded_at: null, ...fields };
  const entitlement = { expires_date: subscription.expires_date, grace_period_expires_date: subscription.grace_period_expires_date, product_identifier: 'strix_monthly', purchase_date: subscription.purchase_date, ...entitlementFields };
  return RevenueCatSubscriber.parse({ original_app_user_id: 'user_1', entitlements: { pro: entitlement }, subscriptions: { strix_monthly: subscription } });
}

const pick = (p: Partial<RevenueCatProperties>, ...keys: (keyof RevenueCatProperties)[]) => Object.fromEntries(keys.map((k) => [k, p[k]]));

describe('properties from an API v1 subscriber', () => {
  it('maps the documented example subscriber (api-v1 customer info model) at its request date', () => {
    const subscriber = RevenueCatSubscriber.parse({
      entitlements: { pro_cat: { expires_date: null, grace_period_expires_date: null, product_identifier: 'onetime', purchase_date: '2019-04-05T21:52:45Z' } },
      first_seen: '2019-02-21T00:08:41Z',
      non_subscriptions: { onetime: [{ id: 'cadba0c81b', is_sandbox: true, purchase_date: '2019-04-05T21:52:45Z', store: 'app_store' }] },
      original_app_user_id: 'XXX-XXXXX-XXXXX-XX',
      other_purchases: {},
      subscriptions: {
        annual: { billing_issues_detected_at: null, expires_date: '2019-08-14T21:07:40Z', grace_period_expires_date: null, is_sandbox: true, period_type: 'normal', purchase_date: '2019-07-14T20:07:40Z', refunded_at: null, store: 'play_store', unsubscribe_detected_at: '2019-07-17T22:48:38Z' },
        onemonth: { billing_issues_detected_at: null, expires_date: '2019-06-17T22:47:55Z', grace_period_expires_date: null, is_sandbox: true, period_type: 'normal', purchase_date: '2019-06-17T22:42:55Z', refunded_at: null, store: 'app_store', unsubscribe_detected_at: '2019-06-17T22:48:38Z' },
        rc_promo_pro_cat_monthly: { billing_issues_detected_at: null, expires_date: '2019-08-26T01:02:16Z', grace_period_expires_date: null, is_sandbox: false, period_type: 'normal', purchase_date: '2019-07-26T01:02:16Z', refunded_at: null, store: 'promotional', unsubscribe_detected_at: null },
      },
    });
    const properties = propertiesFromSubscriber(subscriber, { now: Date.parse('2019-07-26T17:40:10Z'), durations: new Map([['rc_promo_pro_cat_monthly', 'P1M']]) });
    assert.deepEqual(properties, {
      rc_subscriber: 'true',
      // The promotional grant gives access longest; promotional access never renews.
      rc_will_renew: 'false',
      rc_status: 'active',
      rc_product: 'rc_promo_pro_cat_monthly',
      rc_entitlements: 'pro_cat',
      rc_last_purchase: '2019-07-26T01:02:16.000Z',
      rc_period_type: 'normal',
      rc_billing_period: 'monthly',
    });
  });

  const cases: [string, Record<string, unknown>, { rc_status: string; rc_subscriber: string; rc_will_renew: string; rc_entitlements: string }][] = [
    ['a paid period', {}, { rc_status: 'active', rc_subscriber: 'true', rc_will_renew: 'true', rc_entitlements: 'pro' }],
    ['a free trial', { period_type: 'trial' }, { rc_status: 'trial', rc_subscriber: 'true', rc_will_renew: 'true', rc_entitlements: 'pro' }],
    ['an introductory price', { period_type: 'intro' }, { rc_status: 'active', rc_subscriber: 'true', rc_will_renew: 'true', rc_entitlements: 'pro' }],
    ['a grace period', { expires_date: at(-1), billing_issues_detected_at: at(-1), grace_period_expires_date: at(5) }, { rc_status: 'grace_period', rc_subscriber: 'true', rc_will_renew: 'false', rc_entitlements: 'pro' }],
    ['a billing issue with access left', { billing_issues_detected_at: at(-1) }, { rc_status: 'billing_issue', rc_subscriber: 'true', rc_will_renew: 'false', rc_entitlements: 'pro' }],
    ['a billing retry without access', { expires_date: at(-2), billing_issues_detected_at: at(-2) }, { rc_status: 'billing_issue', rc_subscriber: 'false', rc_will_renew: 'false', rc_entitlements: '' }],
    ['auto-renewal turned off', { unsubscribe_detected_at: at(-3) }, { rc_status: 'cancelled', rc_subscriber: 'true', rc_will_renew: 'false', rc_entitlements: 'pro' }],
    ['a lapsed subscription', { expires_date: at(-20), unsubscribe_detected_at: at(-25) }, { rc_status: 'expired', rc_subscriber: 'false', rc_will_renew: 'false', rc_entitlements: '' }],
    ['an unsubscribe after a billing issue', { expires_date: at(-20), billing_issues_detected_at: at(-30), unsubscribe_detected_at: at(-21) }, { rc_status: 'expired', rc_subscriber: 'false', rc_will_renew: 'false', rc_entitlements: '' }],
  ];
  for (const [name, fields, expected] of cases) {
    it(`reads ${name}`, () => {
      const properties = propertiesFromSubscriber(subscriberWith(fields), { now });
      assert.deepEqual(pick(properties, 'rc_status', 'rc_subscriber', 'rc_will_renew', 'rc_entitlements'), expected);
      assert.equal(properties.rc_product, 'strix_monthly');
      assert.equal(properties.rc_period_type, (fields.period_type as string | undefined) ?? 'normal');
    });
  }

  it('reads a refund as the end of access, even before the paid period would have ended', () => {
    const refunded = { expires_date: at(-1) };
    const properties = propertiesFromSubscriber(subscriberWith({ refunded_at: at(-1) }, refunded), { now });
    assert.deepEqual(pick(properties, 'rc_status', 'rc_subscriber', 'rc_will_renew', 'rc_entitlements'), { rc_status: 'expired', rc_subscriber: 'false', rc_will_renew: 'false', rc_entitlements: '' });
  });

  it('lets a lifetime unlock speak when every subscription has lapsed', () => {
    const subscriber = subscriberWith({ expires_date: at(-20), unsubscribe_detected_at: at(-25) });
    subscriber.entitlements.lifetime = { expires_date: null, grace_period_expires_date: null, product_identifier: 'strix_lifetime', purchase_date: at(-100) };
    const properties = propertiesFromSubscriber(subscriber, { now });
    assert.deepEqual(pick(properties, 'rc_status', 'rc_subscriber', 'rc_product', 'rc_entitlements'), { rc_status: 'active', rc_subscriber: 'true', rc_product: 'strix_lifetime', rc_entitlements: 'lifetime' });
  });

  it('writes every key for a customer who never bought anything', () => {
    const properties = propertiesFromSubscriber(RevenueCatSubscriber.parse({ original_app_user_id: '$RCAnonymousID:00', entitlements: {}, subscriptions: {} }), { now });
    assert.deepEqual(properties, { rc_subscriber: 'false', rc_will_renew: 'false', rc_status: '', rc_product: '', rc_entitlements: '', rc_last_purchase: '', rc_period_type: '', rc_billing_period: '' });
  });
});

describe('properties from API v2 subscriptions', () => {
  const subscription = (fields: Record<string, unknown>) =>
    RevenueCatSubscription.parse({ id: 'sub1', product_id: 'prod_monthly', starts_at: now - 40 * day, current_period_starts_at: now - 10 * day, current_period_ends_at: now + 20 * day, gives_access: true, auto_renewal_status: 'will_renew', status: 'active', entitlements: { items: [{ id: 'entl_pro', lookup_key: 'pro' }], next_page: null }, ...fields });
  const { products, entitlements } = standinCatalogue('proj_strix');
  const catalogue = revenueCatCatalogue(products.map((p) => RevenueCatProduct.parse(p)), entitlements.map((e) => RevenueCatEntitlement.parse(e)));

  const cases: [{ status?: string; auto_renewal_status?: string; gives_access?: boolean }, string, string][] = [
    [{}, 'active', 'true'],
    [{ status: 'trialing' }, 'trial', 'true'],
    [{ status: 'trialing', auto_renewal_status: 'will_not_renew' }, 'cancelled', 'false'],
    [{ auto_renewal_status: 'will_change_product' }, 'active', 'true'],
    [{ status: 'in_grace_period' }, 'grace_period', 'false'],
    [{ status: 'in_billing_retry', gives_access: false }, 'billing_issue', 'false'],
    [{ status: 'expired', gives_access: false, auto_renewal_status: 'will_not_renew' }, 'expired', 'false'],
    [{ status: 'paused', gives_access: false, auto_renewal_status: 'will_pause' }, 'expired', 'false'],
    [{ status: 'a_status_added_later' }, 'active', 'true'],
  ];
  for (const [fields, status, willRenew] of cases) {
    it(`reads status ${fields.status ?? 'active'} (${fields.auto_renewal_status ?? 'will_renew'}) as ${status}`, () => {
      const properties = propertiesFromCustomer({ subscriptions: [subscription(fields)] }, catalogue);
      assert.equal(properties.rc_status, status);
      assert.equal(properties.rc_will_renew, willRenew);
      assert.equal(properties.rc_product, 'strix_monthly');
      assert.equal(properties.rc_billing_period, 'monthly');
    });
  }

  it('takes entitlements from access-giving subscriptions and from active entitlements through the catalogue', () => {
    const lapsed = subscription({ id: 'sub0', status: 'expired', gives_access: false, product_id: 'prod_yearly', entitlements: { items: [{ id: 'entl_support', lookup_key: 'support' }], next_page: null } });
    const grant = RevenueCatActiveEntitlement.parse({ entitlement_id: 'entl_support', expires_at: null });
    assert.equal(propertiesFromCustomer({ subscriptions: [lapsed, subscription({})] }, catalogue).rc_entitlements, 'pro');
    assert.equal(propertiesFromCustomer({ subscriptions: [lapsed, subscription({})], activeEntitlements: [grant] }, catalogue).rc_entitlements, 'pro,support');
  });
});

describe('the stand-in customers, read through both APIs', () => {
  it('give each state its status, the same through v1 and v2', () => {
    const customers = standinCustomers({ projectId: 'proj_strix', customers: 200, seed: 7, now });
    const { products, entitlements } = standinCatalogue('proj_strix');
    const catalogue = revenueCatCatalogue(products.map((p) => RevenueCatProduct.parse(p)), entitlements.map((e) => RevenueCatEntitlement.parse(e)));
    const states = new Set<string>();
    for (const c of customers) {
      states.add(c.state);
      const v1 = propertiesFromSubscriber(RevenueCatSubscriber.parse(c.subscriber), { now, durations: catalogue.durations });
      const v2 = propertiesFromCustomer(
        { subscriptions: c.subscriptions.map((s) => RevenueCatSubscription.parse(s)), activeEntitlements: c.activeEntitlements.map((e) => RevenueCatActiveEntitlement.parse(e)) },
        catalogue,
      );
      const expected = { none: '', lifetime: 'active' }[c.state as string] ?? c.state;
      assert.equal(v1.rc_status, expected, `${c.id} (${c.state}) through v1`);
      // v2 lists subscriptions only: a lifetime purchase shows in its entitlements, not as a product or a purchase time.
      const comparable = (p: RevenueCatProperties) => (c.state === 'lifetime' ? { ...p, rc_product: '', rc_last_purchase: '', rc_period_type: '' } : p);
      assert.deepEqual(comparable(v2), comparable(v1), `${c.id} (${c.state})`);
    }
    assert.equal(states.size, 8);
  });
});

describe('RevenueCat webhooks', () => {
  // RevenueCat's sample INITIAL_PURCHASE (docs: integrations/webhooks/sample-events), fields it does not read included.
  const initialPurchase = {
    event: {
      event_timestamp_ms: 1658726378679, product_id: 'com.subscription.weekly', period_type: 'NORMAL', purchased_at_ms: 1658726374000, expiration_at_ms: 1659331174000,
      environment: 'PRODUCTION', entitlement_id: null, entitlement_ids: ['pro'], presented_offering_id: null, transaction_id: '123456789012345', original_transaction_id: '123456789012345',
      is_family_share: false, country_code: 'US', app_user_id: '1234567890', aliases: ['$RCAnonymousID:8069238d6049ce87cc529853916d624c'],
      original_app_user_id: '$RCAnonymousID:87c6049c58069238dce29853916d624c', currency: 'USD', price: 4.99, price_in_purchased_currency: 4.99,
      subscriber_attributes: { $email: { updated_at_ms: 1662955084635, value: 'firstlast@gmail.com' } }, store: 'APP_STORE', takehome_percentage: 0.7, tax_percentage: 0.0,
      commission_percentage: 0.3, offer_code: null, type: 'INITIAL_PURCHASE', id: '12345678-1234-1234-1234-123456789012', app_id: '1234567890',
      experiments: [{ experiment_id: 'prexp123', experiment_variant: 'b', enrolled_at_ms: 1658726378679 }],
    },
    api_version: '1.0',
  };
  const event = (fields: Record<string, unknown>) => RevenueCatWebhookBody.parse({ ...initialPurchase, event: { ...initialPurchase.event, ...fields } }).event;
  const when = initialPurchase.event.event_timestamp_ms;

  it('accepts the documented body, keeping fields it does not know', () => {
    const body = RevenueCatWebhookBody.parse(initialPurchase);
    assert.deepEqual(body.event.experiments, initialPurchase.event.experiments);
    const outcome = mapWebhookEvent(body.event, when);
    assert.equal(outcome.kind, 'set');
    assert.ok(outcome.kind === 'set');
    assert.deepEqual(outcome.properties, {
      rc_subscriber: 'true', rc_will_renew: 'true', rc_status: 'active', rc_product: 'com.subscription.weekly', rc_entitlements: 'pro',
      rc_last_purchase: '2022-07-25T05:19:34.000Z', rc_period_type: 'normal', rc_billing_period: 'weekly',
    });
    assert.deepEqual(outcome.ids.named, ['1234567890']);
    assert.deepEqual(outcome.ids.anonymous, ['$RCAnonymousID:87c6049c58069238dce29853916d624c', '$RCAnonymousID:8069238d6049ce87cc529853916d624c']);
  });

  it('refuses a body without event.id, event.type or event.app_user_id, naming the field', () => {
    const issue = (body: unknown) => {
      const parsed = RevenueCatWebhookBody.safeParse(body);
      assert.equal(parsed.success, false);
      return `${parsed.error?.issues[0]?.path.join('.')}: ${parsed.error?.issues[0]?.message}`;
    };
    assert.equal(issue({ api_version: '1.0' }), 'event: is required');
    assert.equal(issue({ event: { type: 'RENEWAL', app_user_id: 'u' } }), 'event.id: is required');
    assert.equal(issue({ event: { id: 'e1', app_user_id: 'u' } }), 'event.type: is required');
    assert.equal(issue({ event: { id: 'e1', type: 'RENEWAL', app_user_id: '' } }), 'event.app_user_id: is required');
    assert.equal(issue({ event: { id: 'e1', type: 'RENEWAL' } }), 'event.app_user_id: is required (only TRANSFER events go without it)');
    assert.equal(issue({ event: { id: 'e1', type: 'TRANSFER' } }), 'event.transferred_to: is required for a TRANSFER event');
  });

  it('maps each lifecycle event to a status', () => {
    const after = (days: number) => when + days * day;
    const status = (fields: Record<string, unknown>, atTime = when) => {
      const outcome = mapWebhookEvent(event(fields), atTime);
      assert.ok(outcome.kind === 'set', `a set for ${JSON.stringify(fields)}`);
      return pick(outcome.properties, 'rc_status', 'rc_subscriber', 'rc_will_renew', 'rc_entitlements');
    };
    assert.deepEqual(status({ type: 'RENEWAL', period_type: 'TRIAL' }), { rc_status: 'trial', rc_subscriber: 'true', rc_will_renew: 'true', rc_entitlements: 'pro' });
    assert.deepEqual(status({ type: 'CANCELLATION', cancel_reason: 'UNSUBSCRIBE' }), { rc_status: 'cancelled', rc_subscriber: 'true', rc_will_renew: 'false', rc_entitlements: 'pro' });
    assert.deepEqual(status({ type: 'CANCELLATION', cancel_reason: 'UNSUBSCRIBE' }, after(8)), { rc_status: 'expired', rc_subscriber: 'false', rc_will_renew: 'false', rc_entitlements: '' });
    assert.deepEqual(status({ type: 'CANCELLATION', cancel_reason: 'BILLING_ERROR' }), { rc_status: 'billing_issue', rc_subscriber: 'true', rc_will_renew: 'false', rc_entitlements: 'pro' });
    assert.deepEqual(status({ type: 'BILLING_ISSUE', grace_period_expiration_at_ms: after(10) }, after(8)), { rc_status: 'grace_period', rc_subscriber: 'true', rc_will_renew: 'false', rc_entitlements: 'pro' });
    assert.deepEqual(status({ type: 'BILLING_ISSUE', grace_period_expiration_at_ms: null }, after(8)), { rc_status: 'billing_issue', rc_subscriber: 'false', rc_will_renew: 'false', rc_entitlements: '' });
    assert.deepEqual(status({ type: 'EXPIRATION', expiration_reason: 'UNSUBSCRIBE' }), { rc_status: 'expired', rc_subscriber: 'false', rc_will_renew: 'false', rc_entitlements: '' });
    assert.deepEqual(status({ type: 'UNCANCELLATION', entitlement_ids: ['support', 'pro'] }), { rc_status: 'active', rc_subscriber: 'true', rc_will_renew: 'true', rc_entitlements: 'pro,support' });
    assert.deepEqual(status({ type: 'SUBSCRIPTION_PAUSED' }), { rc_status: 'active', rc_subscriber: 'true', rc_will_renew: 'false', rc_entitlements: 'pro' });
    assert.deepEqual(status({ type: 'NON_RENEWING_PURCHASE', expiration_at_ms: null }), { rc_status: 'active', rc_subscriber: 'true', rc_will_renew: 'false', rc_entitlements: 'pro' });
  });

  it('measures the billing period only where the event tells it', () => {
    const period = (fields: Record<string, unknown>, durations?: ReadonlyMap<string, string>) => {
      const outcome = mapWebhookEvent(event(fields), when, durations);
      assert.ok(outcome.kind === 'set');
      return outcome.properties.rc_billing_period;
    };
    assert.equal(period({ expiration_at_ms: initialPurchase.event.purchased_at_ms + 365 * day }), 'yearly');
    assert.equal(period({ expiration_at_ms: Date.parse('2022-08-25T05:19:34Z') }), 'monthly');
    // A trial's length is the trial's; sandbox periods are shortened; an extended period matches no store period.
    assert.equal(period({ period_type: 'TRIAL' }), undefined);
    assert.equal(period({ environment: 'SANDBOX' }), undefined);
    assert.equal(period({ expiration_at_ms: initialPurchase.event.purchased_at_ms + 10 * day }), undefined);
    assert.equal(period({ period_type: 'TRIAL' }, new Map([['com.subscription.weekly', 'P1W']])), 'weekly');
  });

  it('asks for a refresh after a transfer or a refund, and ignores events without state', () => {
    const transfer = RevenueCatWebhookBody.parse({
      event: { app_id: '1234567890', event_timestamp_ms: 78789789798798, id: 'CD489E0E-5D52-4E03-966B-A7F17788E432', store: 'APP_STORE', transferred_from: ['00005A1C-6091-4F81-BE77-F0A83A271AB6'], transferred_to: ['4BEDB450-8EF2-11E9-B475-0800200C9A66'], type: 'TRANSFER', environment: 'PRODUCTION' },
      api_version: '1.0',
    }).event;
    const moved = mapWebhookEvent(transfer, when);
    assert.equal(moved.kind, 'refresh');
    assert.ok(moved.kind === 'refresh');
    assert.deepEqual(moved.ids.named, ['00005A1C-6091-4F81-BE77-F0A83A271AB6', '4BEDB450-8EF2-11E9-B475-0800200C9A66']);
    assert.equal(mapWebhookEvent(event({ type: 'CANCELLATION', cancel_reason: 'CUSTOMER_SUPPORT', price: -4.99 }), when).kind, 'refresh');
    assert.equal(mapWebhookEvent(event({ type: 'A_NEW_KIND_OF_EVENT' }), when).kind, 'refresh');
    assert.equal(mapWebhookEvent(event({ type: 'TEST' }), when).kind, 'ignore');
    assert.equal(mapWebhookEvent(event({ type: 'EXPERIMENT_ENROLLMENT' }), when).kind, 'ignore');
  });

  it('names billing periods for the documented durations only', () => {
    assert.deepEqual(['P1W', 'P1M', 'P2M', 'P3M', 'P6M', 'P1Y', 'P3D', 'constructor', null].map(billingPeriod), ['weekly', 'monthly', 'two_monthly', 'quarterly', 'semiannual', 'yearly', '', '', '']);
  });
});
