import type { ZodRoutes } from '@strix/http';

/** Placeholder: the sentry-compatible ingest routes are being built. */
export const sentryRoutes: ZodRoutes = async () => {};
