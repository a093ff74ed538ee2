// What the RevenueCat jobs must write for each customer of the stand-in (testkit/revenuecat-standin.ts).
import { standinCatalogue, type StandinCustomer } from '@strix/testkit/revenuecat-standin';
import { RevenueCatActiveEntitlement, RevenueCatEntitlement, RevenueCatProduct, RevenueCatSubscription } from './client.ts';
import { propertiesFromCustomer, revenueCatCatalogue, type RevenueCatProperties } from './properties.ts';

/** A customer's rc_* properties: the mapping of its stand-in subscriptions through the stand-in project's catalogue. */
export function standinExpectation(revenuecatProjectId: string): (customer: StandinCustomer) => RevenueCatProperties {
  const { products, entitlements } = standinCatalogue(revenuecatProjectId);
  const catalogue = revenueCatCatalogue(products.map((p) => RevenueCatProduct.parse(p)), entitlements.map((e) => RevenueCatEntitlement.parse(e)));
  return (c) =>
    propertiesFromCustomer(
      { subscriptions: c.subscriptions.map((s) => RevenueCatSubscription.parse(s)), activeEntitlements: c.activeEntitlements.map((e) => RevenueCatActiveEntitlement.parse(e)) },
      catalogue,
    );
}
