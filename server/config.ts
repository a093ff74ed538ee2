import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { z } from 'zod';
import { defaultHttpTimeouts, type HttpTimeouts, type TrustProxy } from '@strix/http';
import { KafkaCompressions, unavailableCompression, type KafkaCompression } from '@strix/processors/kafka-options';

const port = z.coerce.number().int().min(0).max(65535);
const positive = z.coerce.number().positive();
const positiveInt = z.coerce.number().int().positive();

export const Roles = ['all', 'ingest', 'process', 'worker', 'api'] as const;
export type Role = (typeof Roles)[number];

const brokerList = z
  .string()
  .transform((v) => v.split(',').map((b) => b.trim()).filter(Boolean))
  .refine((list) => list.length > 0 && list.every((b) => /^[^\s:]+:\d{1,5}$/.test(b)), {
    message: 'must be a comma-separated list of host:port',
  });

/** The address sets proxy-addr (Fastify's `trustProxy`) names. */
const proxyRanges = ['loopback', 'linklocal', 'uniquelocal'];

/** One trusted proxy: an IP address, a CIDR range, or a named range. */
function isProxyAddress(entry: string): boolean {
  if (proxyRanges.includes(entry)) return true;
  const [ip = '', prefix, ...rest] = entry.split('/');
  const family = isIP(ip);
  if (family === 0 || rest.length > 0) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
}

/**
 * Which peers may say, in X-Forwarded-For and X-Forwarded-Proto, who the client is:
 * the proxies' addresses. Never "every peer", nor a hop count (which cannot check
 * the peer): then any client could write its own address into audit logs and rate limits.
 */
const trustedProxies = z
  .string()
  .transform((v) => v.split(',').map((e) => e.trim()).filter(Boolean))
  .refine((list) => list.length > 0 && list.every(isProxyAddress), {
    message: 'must be a comma-separated list of proxy addresses, CIDR ranges, loopback, linklocal or uniquelocal',
  });

/** Every setting Strix reads, from the environment; defaults run the embedded mode as is. */
const ConfigSchema = z.object({
  STRIX_ROLE: z.enum(Roles).default('all'),
  STRIX_DATA_DIR: z.string().min(1).default('./.strix'),
  STRIX_PORT: port.default(8080),
  STRIX_HOST: z.string().min(1).default('0.0.0.0'),
  /** Proxies in front of Strix whose X-Forwarded-For and X-Forwarded-Proto are believed; unset, none are. */
  STRIX_TRUST_PROXY: trustedProxies.optional(),
  // A client that stalls mid-request holds a socket and its parser: these bound how long.
  /** Time to receive a request's headers. */
  STRIX_HTTP_HEADERS_TIMEOUT_MS: positiveInt.min(100).max(600_000).default(defaultHttpTimeouts.headersMs),
  /** Time to receive a whole request, body included (not the time to answer it: /clickhouse streams long results). */
  STRIX_HTTP_REQUEST_TIMEOUT_MS: positiveInt.min(100).max(3_600_000).default(defaultHttpTimeouts.requestMs),
  /** An idle keep-alive connection is closed after this long: longer than the 60 s of common load balancers, so the proxy closes first. */
  STRIX_HTTP_KEEP_ALIVE_TIMEOUT_MS: positiveInt.min(100).max(600_000).default(defaultHttpTimeouts.keepAliveMs),
  /** Strix refuses to run as root unless this is 1: analyst SQL runs inside its process. */
  STRIX_ALLOW_ROOT: z.enum(['0', '1'], { message: 'must be 0 or 1' }).default('0'),
  STRIX_RATE_LIMIT_KEY_RPS: positive.default(2000),
  STRIX_RATE_LIMIT_DEVICE_RPS: positive.default(50),
  STRIX_RATE_LIMIT_BURST_SECONDS: positive.default(2),
  STRIX_MAX_PENDING_LOG_MB: positive.default(64),
  // A record holds one user's events of one request (1 to 100 events), not a whole request:
  // 100k records is 100k events (a few seconds of processing) when every event has its own
  // user, and at most 10M events (about 3 GiB of log, on disk) when a request is one user.
  STRIX_MAX_LOG_LAG_RECORDS: positiveInt.default(100_000),
  STRIX_DEDUPE_WINDOW_HOURS: positive.default(48),
  STRIX_DEDUPE_MAX_KEYS: positiveInt.default(2_000_000),
  STRIX_DLQ_MAX_MB: positive.default(256),
  STRIX_LOG_RETAIN_MB: positive.default(1024),
  /** Days the first-start project keeps events (each project sets its own later). */
  STRIX_DEFAULT_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(120),
  /** The control plane's PostgreSQL server; without it the all role keeps it in PGlite under the data directory. */
  STRIX_POSTGRES_URL: z.url({ protocol: /^postgres(ql)?$/, message: 'must be a postgres:// or postgresql:// URL' }).optional(),
  /** Print (and write to credentials.json) a new one-time owner sign-in link at start. */
  STRIX_PRINT_SIGNIN: z.enum(['0', '1']).default('0'),

  STRIX_LOG: z.enum(['embedded', 'kafka']).default('embedded'),
  STRIX_KAFKA_BROKERS: brokerList.optional(),
  STRIX_KAFKA_CLIENT_ID: z.string().min(1).default('strix'),
  STRIX_KAFKA_PARTITIONS: positiveInt.max(1000).default(6),
  STRIX_KAFKA_REPLICATION_FACTOR: positiveInt.max(10).default(1),
  STRIX_KAFKA_APPEND_TIMEOUT_MS: positiveInt.default(30_000),
  STRIX_KAFKA_COMPRESSION: z.enum(KafkaCompressions).default('none'),
  /** Records per second one partition key may send before the rest go to the overflow topic. */
  STRIX_HOT_KEY_RECORDS_PER_SECOND: positive.default(500),

  STRIX_WAREHOUSE: z.enum(['chdb', 'clickhouse']).default('chdb'),
  STRIX_CLICKHOUSE_URL: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).optional(),
  STRIX_CLICKHOUSE_USER: z.string().default('default'),
  STRIX_CLICKHOUSE_PASSWORD: z.string().default(''),
  STRIX_CLICKHOUSE_DATABASE: z.string().min(1).default('default'),
  /** Enables full SQL for user `admin` on `/clickhouse` (a chDB-hosting api role serving other roles). */
  STRIX_SQL_ADMIN_PASSWORD: z.string().min(16, { message: 'must be at least 16 characters' }).optional(),
  /** Analyst queries at /clickhouse: how many run at once (all keys, one key) and what one may cost. */
  STRIX_SQL_MAX_CONCURRENT: z.coerce.number().int().min(1).max(64).default(4),
  STRIX_SQL_MAX_CONCURRENT_PER_KEY: z.coerce.number().int().min(1).max(64).default(2),
  STRIX_SQL_MAX_EXECUTION_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
  STRIX_SQL_MAX_MEMORY_MB: z.coerce.number().int().min(16).max(1_000_000).default(1000),
  STRIX_SQL_MAX_RESULT_MB: z.coerce.number().int().min(1).max(100_000).default(200),

  STRIX_SCHEDULER: z.enum(['embedded', 'temporal']).default('embedded'),
  STRIX_TEMPORAL_ADDRESS: z.string().regex(/^[^\s:]+:\d{1,5}$/, { message: 'must be host:port' }).optional(),
  STRIX_TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  STRIX_TEMPORAL_TASK_QUEUE: z.string().min(1).default('strix'),
  STRIX_RETENTION_SWEEP_INTERVAL_SECONDS: positiveInt.default(3600),
  STRIX_ISSUE_SCAN_INTERVAL_SECONDS: positiveInt.default(3600),
  STRIX_ISSUE_NOTIFY_INTERVAL_SECONDS: positiveInt.default(3600),
  /** A metric operation started this long ago with no complete, fail or cancel counts as abandoned. */
  STRIX_METRIC_ABANDON_SECONDS: positiveInt.default(3600),

  /** Where issue digests are sent from: smtp://user:pass@host:port or smtps://…; unset, no digests go out. */
  STRIX_SMTP_URL: z.url({ protocol: /^smtps?$/, message: 'must be an smtp:// or smtps:// URL' }).optional(),
  STRIX_MAIL_FROM: z.string().min(3).default('Strix <strix@localhost>'),
  /** The dashboard's address, for links in digests. */
  STRIX_PUBLIC_URL: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).default('http://localhost:8080'),

  /**
   * The key secrets at rest (integrations' API keys) are sealed with and download links signed with:
   * 64 hex digits. Unset, one is generated into the data directory; roles split over processes must share one.
   */
  STRIX_SECRET_KEY: z.string().regex(/^[0-9a-fA-F]{64}$/, { message: 'must be 64 hex digits (32 bytes)' }).optional(),
  /** Where third-party APIs are reached: the App Store lookup and RevenueCat (stand-ins in tests). */
  STRIX_ITUNES_URL: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).default('https://itunes.apple.com'),
  STRIX_REVENUECAT_URL: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).default('https://api.revenuecat.com'),
  /**
   * RevenueCat requests this process sends per API key within any window, as `<requests>/<seconds>s`: by default
   * half of RevenueCat's 480 a minute, so a killed worker and the one taking its step over stay under it together.
   */
  STRIX_REVENUECAT_RATE_LIMIT: z
    .string()
    .regex(/^[1-9][0-9]{0,5}\/[1-9][0-9]{0,4}s$/, { message: 'must be <requests>/<seconds>s, like 240/60s' })
    .default('240/60s'),
  /** Attachments' files: a directory every role mounts when roles are split over hosts; unset, `attachments` in the data directory. */
  STRIX_BLOB_DIR: z.string().min(1).optional(),
});

type Env = z.infer<typeof ConfigSchema>;

/** Settings that only make sense together, each failure naming its variable. */
function crossCheck(c: Env, issue: (variable: keyof Env, message: string) => void): void {
  if (c.STRIX_LOG === 'kafka' && !c.STRIX_KAFKA_BROKERS) issue('STRIX_KAFKA_BROKERS', 'is required when STRIX_LOG=kafka');
  const compression = unavailableCompression(c.STRIX_KAFKA_COMPRESSION);
  if (c.STRIX_LOG === 'kafka' && compression) issue('STRIX_KAFKA_COMPRESSION', compression);
  if (c.STRIX_WAREHOUSE === 'clickhouse' && !c.STRIX_CLICKHOUSE_URL) {
    issue('STRIX_CLICKHOUSE_URL', 'is required when STRIX_WAREHOUSE=clickhouse');
  }
  if (c.STRIX_SCHEDULER === 'temporal' && !c.STRIX_TEMPORAL_ADDRESS) {
    issue('STRIX_TEMPORAL_ADDRESS', 'is required when STRIX_SCHEDULER=temporal');
  }
  // Node refuses a headers timeout longer than the request timeout.
  if (c.STRIX_HTTP_HEADERS_TIMEOUT_MS > c.STRIX_HTTP_REQUEST_TIMEOUT_MS) {
    issue('STRIX_HTTP_HEADERS_TIMEOUT_MS', `must be at most STRIX_HTTP_REQUEST_TIMEOUT_MS (${c.STRIX_HTTP_REQUEST_TIMEOUT_MS})`);
  }
  const role = c.STRIX_ROLE;
  // The embedded log lives in one process's data directory: ingest and process cannot be split over it.
  if ((role === 'ingest' || role === 'process') && c.STRIX_LOG === 'embedded') {
    issue('STRIX_LOG', `must be kafka for STRIX_ROLE=${role}: the embedded log is only shared within one process (use STRIX_ROLE=all)`);
  }
  // PGlite is a store inside one process: roles split over processes share a PostgreSQL server.
  if ((role === 'ingest' || role === 'api' || role === 'worker') && !c.STRIX_POSTGRES_URL) {
    issue('STRIX_POSTGRES_URL', `is required for STRIX_ROLE=${role}: the embedded control plane (PGlite) is only shared within one process (use STRIX_ROLE=all)`);
  }
  if (role === 'worker' && c.STRIX_SCHEDULER !== 'temporal') {
    issue('STRIX_SCHEDULER', 'must be temporal for STRIX_ROLE=worker (the embedded scheduler runs inside STRIX_ROLE=all)');
  }
}

export interface Config {
  role: Role;
  dataDir: string;
  port: number;
  host: string;
  httpTimeouts: HttpTimeouts;
  /** The proxies' addresses whose forwarded headers name the client; false: the peer is the client. */
  trustProxy: TrustProxy;
  allowRoot: boolean;
  rateLimits: { perKeyPerSecond: number; perDevicePerSecond: number; burstSeconds: number };
  maxPendingLogBytes: number;
  maxLogLagRecords: number;
  dedupeWindowMs: number;
  dedupeMaxKeys: number;
  dlqMaxBytes: number;
  logRetainBytes: number;
  defaultRetentionDays: number;
  /** Where teams, projects, apps, keys and sessions live. */
  control: { kind: 'pglite' } | { kind: 'postgres'; url: string };
  printSignIn: boolean;
  hotKeyRecordsPerSecond: number;
  log:
    | { kind: 'embedded' }
    | {
        kind: 'kafka';
        brokers: string[];
        clientId: string;
        partitions: number;
        replicationFactor: number;
        appendTimeoutMs: number;
        compression: KafkaCompression;
      };
  warehouse:
    | { kind: 'chdb' }
    | { kind: 'clickhouse'; url: string; username: string; password: string; database: string };
  sqlAdminPassword: string | undefined;
  sql: { maxConcurrent: number; maxConcurrentPerKey: number; maxExecutionSeconds: number; maxMemoryBytes: number; maxResultBytes: number };
  scheduler: { kind: 'embedded' } | { kind: 'temporal'; address: string; namespace: string; taskQueue: string };
  retentionSweepIntervalMs: number;
  issueScanIntervalMs: number;
  issueNotifyIntervalMs: number;
  metricAbandonAfterMs: number;
  mail: { smtpUrl: string | undefined; from: string; publicUrl: string };
  /** 32 bytes as hex, or undefined for the data directory's generated key (`secret-key.ts`). */
  secretKeyHex: string | undefined;
  integrations: { itunesUrl: string; revenueCatUrl: string; revenueCatRateLimit: { requests: number; windowMs: number } };
  /** Where attachments' files are kept (`DirectoryBlobStore`). */
  blobDir: string;
}

export class ConfigError extends Error {}

const mb = 1024 * 1024;

/** `240/60s` → 240 requests per 60,000 ms (the schema has checked the form). */
function rateLimitOf(text: string): { requests: number; windowMs: number } {
  const [requests, seconds] = text.slice(0, -1).split('/').map(Number);
  return { requests: requests!, windowMs: seconds! * 1000 };
}

/** Reads and validates the environment; a bad value names its variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = ConfigSchema.superRefine((c, ctx) =>
    crossCheck(c, (variable, message) => ctx.addIssue({ code: 'custom', path: [variable], message })),
  ).safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}=${JSON.stringify(env[String(i.path[0])] ?? '')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const c = parsed.data;
  return {
    role: c.STRIX_ROLE,
    dataDir: resolve(c.STRIX_DATA_DIR),
    port: c.STRIX_PORT,
    host: c.STRIX_HOST,
    httpTimeouts: {
      headersMs: c.STRIX_HTTP_HEADERS_TIMEOUT_MS,
      requestMs: c.STRIX_HTTP_REQUEST_TIMEOUT_MS,
      keepAliveMs: c.STRIX_HTTP_KEEP_ALIVE_TIMEOUT_MS,
    },
    trustProxy: c.STRIX_TRUST_PROXY ?? false,
    allowRoot: c.STRIX_ALLOW_ROOT === '1',
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
    control: c.STRIX_POSTGRES_URL ? { kind: 'postgres', url: c.STRIX_POSTGRES_URL } : { kind: 'pglite' },
    printSignIn: c.STRIX_PRINT_SIGNIN === '1',
    hotKeyRecordsPerSecond: c.STRIX_HOT_KEY_RECORDS_PER_SECOND,
    log:
      c.STRIX_LOG === 'kafka' && c.STRIX_KAFKA_BROKERS
        ? {
            kind: 'kafka',
            brokers: c.STRIX_KAFKA_BROKERS,
            clientId: c.STRIX_KAFKA_CLIENT_ID,
            partitions: c.STRIX_KAFKA_PARTITIONS,
            replicationFactor: c.STRIX_KAFKA_REPLICATION_FACTOR,
            appendTimeoutMs: c.STRIX_KAFKA_APPEND_TIMEOUT_MS,
            compression: c.STRIX_KAFKA_COMPRESSION,
          }
        : { kind: 'embedded' },
    warehouse:
      c.STRIX_WAREHOUSE === 'clickhouse' && c.STRIX_CLICKHOUSE_URL
        ? {
            kind: 'clickhouse',
            url: c.STRIX_CLICKHOUSE_URL,
            username: c.STRIX_CLICKHOUSE_USER,
            password: c.STRIX_CLICKHOUSE_PASSWORD,
            database: c.STRIX_CLICKHOUSE_DATABASE,
          }
        : { kind: 'chdb' },
    sqlAdminPassword: c.STRIX_SQL_ADMIN_PASSWORD,
    sql: {
      maxConcurrent: c.STRIX_SQL_MAX_CONCURRENT,
      maxConcurrentPerKey: c.STRIX_SQL_MAX_CONCURRENT_PER_KEY,
      maxExecutionSeconds: c.STRIX_SQL_MAX_EXECUTION_SECONDS,
      maxMemoryBytes: c.STRIX_SQL_MAX_MEMORY_MB * 1_000_000,
      maxResultBytes: c.STRIX_SQL_MAX_RESULT_MB * 1_000_000,
    },
    scheduler:
      c.STRIX_SCHEDULER === 'temporal' && c.STRIX_TEMPORAL_ADDRESS
        ? {
            kind: 'temporal',
            address: c.STRIX_TEMPORAL_ADDRESS,
            namespace: c.STRIX_TEMPORAL_NAMESPACE,
            taskQueue: c.STRIX_TEMPORAL_TASK_QUEUE,
          }
        : { kind: 'embedded' },
    retentionSweepIntervalMs: c.STRIX_RETENTION_SWEEP_INTERVAL_SECONDS * 1000,
    issueScanIntervalMs: c.STRIX_ISSUE_SCAN_INTERVAL_SECONDS * 1000,
    issueNotifyIntervalMs: c.STRIX_ISSUE_NOTIFY_INTERVAL_SECONDS * 1000,
    metricAbandonAfterMs: c.STRIX_METRIC_ABANDON_SECONDS * 1000,
    mail: { smtpUrl: c.STRIX_SMTP_URL, from: c.STRIX_MAIL_FROM, publicUrl: c.STRIX_PUBLIC_URL.replace(/\/+$/, '') },
    secretKeyHex: c.STRIX_SECRET_KEY,
    integrations: {
      itunesUrl: c.STRIX_ITUNES_URL.replace(/\/+$/, ''),
      revenueCatUrl: c.STRIX_REVENUECAT_URL.replace(/\/+$/, ''),
      revenueCatRateLimit: rateLimitOf(c.STRIX_REVENUECAT_RATE_LIMIT),
    },
    blobDir: c.STRIX_BLOB_DIR ? resolve(c.STRIX_BLOB_DIR) : resolve(c.STRIX_DATA_DIR, 'attachments'),
  };
}
