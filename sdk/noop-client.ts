import type { Consent, MetricOperation, StrixClient, StrixStats } from './api.ts';

const noop = () => {};

/** The client without a key: every call does nothing, and costs nothing. */
export class NoopClient implements StrixClient {
  static readonly operation: MetricOperation = Object.freeze({ trackingId: '', complete: noop, fail: noop, cancel: noop });
  readonly enabled = false;
  readonly consent: Consent = 'denied';
  debug = noop;
  info = noop;
  warn = noop;
  error = noop;
  captureException = (): undefined => undefined;
  track = noop;
  pageview = noop;
  recordMetric = noop;
  startMetric = (): MetricOperation => NoopClient.operation;
  identify = noop;
  reset = noop;
  /** The first variant: without a key nothing is assigned or measured, so everyone sees the control. */
  getVariant = (_experiment: string, variants: readonly string[]): string => (Array.isArray(variants) ? String(variants[0] ?? '') : '');
  setExperiment = noop;
  addBreadcrumb = noop;
  setConsent = noop;
  flush = async (): Promise<void> => {};
  shutdown = async (): Promise<void> => {};
  stats = (): StrixStats => ({
    sent: 0,
    rejected: 0,
    dropped: 0,
    failedRequests: 0,
    internalErrors: 0,
    storageFailures: 0,
    attachmentsUploaded: 0,
    attachmentsFailed: 0,
    pending: { log: 0, track: 0, metric: 0 },
  });
}
