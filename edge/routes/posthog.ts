import type { ZodRoutes } from '@strix/http';

/** Placeholder: the posthog-compatible ingest routes are being built. */
export const posthogRoutes: ZodRoutes = async () => {};
