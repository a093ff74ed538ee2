/** Ingest limits. Every rejection names the limit it hit, so the numbers live here once. */
export const IngestLimits = {
  maxEventsPerBatch: 100,
  /** Body size after gzip decompression. */
  maxBodyBytes: 1024 * 1024,
  /** Events per `POST /v1/import` request: historical data is loaded in bulk, so larger than a live batch. */
  maxImportEvents: 1000,
  /** An import's body after gzip decompression: about 16 KiB an event, a little more than a live batch allows (1 MiB for 100). */
  maxImportBodyBytes: 16 * 1024 * 1024,
  maxFutureSkewMs: 5 * 60 * 1000,
  maxPastAgeMs: 30 * 24 * 60 * 60 * 1000,
  maxMessageChars: 16 * 1024,
  maxNameChars: 200,
  maxIdChars: 128,
  maxShortFieldChars: 256,
  maxAttributes: 50,
  maxAttributeKeyChars: 128,
  maxAttributeValueChars: 2048,
  /** Client grouping keys: Sentry's shape, and enough for "{{ default }}" plus a few qualifiers. */
  maxFingerprintParts: 10,
  maxFingerprintPartChars: 200,
  maxExceptionTypeChars: 200,
  /** Deeper stacks are truncated by SDKs anyway; grouping reads every frame, so this bounds its cost. */
  maxStackFrames: 100,
  /** Each text field of a stack frame (function, module, filename, abs_path). */
  maxFrameFieldChars: 500,
  /** User properties (`$set`, `$set_once`): keys per user, over all time, and each key's and value's length. */
  maxUserPropertyKeys: 50,
  maxUserPropertyKeyChars: 50,
  maxUserPropertyValueChars: 200,
  /** A page path as sent, before normalization. */
  maxPathChars: 2048,
} as const;
