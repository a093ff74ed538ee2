/** Ingest limits. Every rejection names the limit it hit, so the numbers live here once. */
export const IngestLimits = {
  maxEventsPerBatch: 100,
  /** Body size after gzip decompression. */
  maxBodyBytes: 1024 * 1024,
  maxFutureSkewMs: 5 * 60 * 1000,
  maxPastAgeMs: 30 * 24 * 60 * 60 * 1000,
  maxMessageChars: 16 * 1024,
  maxNameChars: 200,
  maxIdChars: 128,
  maxShortFieldChars: 256,
  maxAttributes: 50,
  maxAttributeKeyChars: 128,
  maxAttributeValueChars: 2048,
} as const;
