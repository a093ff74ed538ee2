/**
 * What PostHog SDKs ask for besides capture, answered with "nothing": no feature flags, and a remote
 * configuration that turns off the products Strix does not have (session replay, surveys, heatmaps,
 * web vitals, console logs, site apps), so the SDKs neither error, nor retry, nor send what nobody
 * stores. What the app configured itself still wins in posthog-js (autocapture, exception capture).
 * `surveys` is left out rather than false: posthog-js 1.449 loads its surveys script from the host
 * (`/static/surveys.js`, which Strix does not serve) even when told `false`, and not at all without it.
 * The shapes are those posthog-js 1.449 and posthog-node 5.74 read (`RemoteConfig` in
 * @posthog/browser-common, `/flags` v2 and v4 in @posthog/core and posthog-node).
 */
import { z } from 'zod';

/** `/array/<key>/config`: posthog-js reads it at start. */
export const RemoteConfig = z
  .object({
    supportedCompression: z.array(z.string()).meta({ description: 'gzip-js first: posthog-js then sends gzip as text/plain, a request browsers send without a CORS preflight' }),
    hasFeatureFlags: z.boolean().meta({ description: 'false: posthog-js does not ask /flags at start' }),
    autocapture_opt_out: z.boolean(),
    autocaptureExceptions: z.boolean(),
    errorTracking: z.object({ autocaptureExceptions: z.boolean() }),
    capturePerformance: z.boolean(),
    sessionRecording: z.boolean(),
    productTours: z.boolean(),
    heatmaps: z.boolean(),
    captureDeadClicks: z.boolean(),
    conversations: z.boolean(),
    logs: z.object({ captureConsoleLogs: z.boolean() }),
    elementsChainAsString: z.boolean(),
    defaultIdentifiedOnly: z.boolean(),
    isAuthenticated: z.boolean(),
    siteApps: z.array(z.object({ id: z.string(), url: z.string() })),
    toolbarParams: z.object({}),
    toolbarVersion: z.string(),
  })
  .meta({ description: 'A PostHog remote configuration with every product Strix does not have turned off' });

export const remoteConfig: z.infer<typeof RemoteConfig> = {
  supportedCompression: ['gzip-js', 'gzip', 'base64'],
  hasFeatureFlags: false,
  autocapture_opt_out: false,
  autocaptureExceptions: false,
  errorTracking: { autocaptureExceptions: false },
  capturePerformance: false,
  sessionRecording: false,
  productTours: false,
  heatmaps: false,
  captureDeadClicks: false,
  conversations: false,
  logs: { captureConsoleLogs: false },
  elementsChainAsString: true,
  defaultIdentifiedOnly: true,
  isAuthenticated: false,
  siteApps: [],
  toolbarParams: {},
  toolbarVersion: 'toolbar',
};

/**
 * `/array/<key>/config.js`: the script form posthog-js loads first (it would carry site apps); it
 * registers the same configuration where posthog-js looks for it. The key is a checked client key,
 * letters, digits and `_` only, so it is safe inside the script as JSON.
 */
export function remoteConfigScript(key: string): string {
  return (
    'window._POSTHOG_REMOTE_CONFIG = window._POSTHOG_REMOTE_CONFIG || {};\n' +
    `window._POSTHOG_REMOTE_CONFIG[${JSON.stringify(key)}] = ${JSON.stringify({ config: remoteConfig, siteApps: [] })};\n`
  );
}

/** `/flags` (posthog-js asks v2, posthog-node v4) and the older `/decide`: no flag, no error, plus the configuration. */
export const FlagsAnswer = RemoteConfig.extend({
  flags: z.record(z.string(), z.object({})).meta({ description: 'v2 and v4: always empty' }),
  featureFlags: z.record(z.string(), z.boolean()).meta({ description: 'v1: always empty' }),
  featureFlagPayloads: z.record(z.string(), z.string()).meta({ description: 'v1: always empty' }),
  errorsWhileComputingFlags: z.boolean(),
  quotaLimited: z.array(z.string()),
}).meta({ description: 'No feature flags (Strix has none), and the remote configuration' });

export const noFlags: z.infer<typeof FlagsAnswer> = {
  ...remoteConfig,
  flags: {},
  featureFlags: {},
  featureFlagPayloads: {},
  errorsWhileComputingFlags: false,
  quotaLimited: [],
};
