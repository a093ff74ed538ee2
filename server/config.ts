import { resolve } from 'node:path';
import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65535);
const positive = z.coerce.number().positive();

/** Every setting Strix reads, from the environment; defaults run the embedded mode as is. */
const ConfigSchema = z.object({
  STRIX_DATA_DIR: z.string().min(1).default('./.strix'),
  STRIX_PORT: port.default(8080),
  STRIX_HOST: z.string().min(1).default('0.0.0.0'),
  STRIX_RATE_LIMIT_KEY_RPS: positive.default(2000),
  STRIX_RATE_LIMIT_DEVICE_RPS: positive.default(50),
  STRIX_RATE_LIMIT_BURST_SECONDS: positive.default(2),
  STRIX_MAX_PENDING_LOG_MB: positive.default(64),
  STRIX_MAX_LOG_LAG_RECORDS: z.coerce.number().int().positive().default(20_000),
  STRIX_DEDUPE_WINDOW_HOURS: positive.default(48),
  STRIX_DEDUPE_MAX_KEYS: z.coerce.number().int().positive().default(2_000_000),
  STRIX_DLQ_MAX_MB: positive.default(256),
  STRIX_LOG_RETAIN_MB: positive.default(1024),
  STRIX_DEFAULT_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
});

export interface Config {
  dataDir: string;
  port: number;
  host: string;
  rateLimits: { perKeyPerSecond: number; perDevicePerSecond: number; burstSeconds: number };
  maxPendingLogBytes: number;
  maxLogLagRecords: number;
  dedupeWindowMs: number;
  dedupeMaxKeys: number;
  dlqMaxBytes: number;
  logRetainBytes: number;
  defaultRetentionDays: number;
}

export class ConfigError extends Error {}

const mb = 1024 * 1024;

/** Reads and validates the environment; a bad value names its variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}=${JSON.stringify(env[String(i.path[0])] ?? '')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const c = parsed.data;
  return {
    dataDir: resolve(c.STRIX_DATA_DIR),
    port: c.STRIX_PORT,
    host: c.STRIX_HOST,
    rateLimits: {
      perKeyPerSecond: c.STRIX_RATE_LIMIT_KEY_RPS,
      perDevicePerSecond: c.STRIX_RATE_LIMIT_DEVICE_RPS,
      burstSeconds: c.STRIX_RATE_LIMIT_BURST_SECONDS,
    },
    maxPendingLogBytes: c.STRIX_MAX_PENDING_LOG_MB * mb,
    maxLogLagRecords: c.STRIX_MAX_LOG_LAG_RECORDS,
    dedupeWindowMs: c.STRIX_DEDUPE_WINDOW_HOURS * 3_600_000,
    dedupeMaxKeys: c.STRIX_DEDUPE_MAX_KEYS,
    dlqMaxBytes: c.STRIX_DLQ_MAX_MB * mb,
    logRetainBytes: c.STRIX_LOG_RETAIN_MB * mb,
    defaultRetentionDays: c.STRIX_DEFAULT_RETENTION_DAYS,
  };
}
