// RevenueCat: the API client (v1 customer info, v2 customers) and the mapping to Strix user properties.
export * from './client.ts';
export * from './properties.ts';
