import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from './config.ts';

describe('loadConfig', () => {
  it('runs the embedded mode with no configuration at all', () => {
    const config = loadConfig({});
    assert.equal(config.port, 8080);
    assert.match(config.dataDir, /\.strix$/);
    assert.equal(config.dedupeWindowMs, 48 * 3_600_000);
  });

  it('names the variable of a bad value', () => {
    assert.throws(() => loadConfig({ STRIX_PORT: 'eighty' }), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, /STRIX_PORT="eighty"/);
      return true;
    });
    assert.throws(() => loadConfig({ STRIX_RATE_LIMIT_DEVICE_RPS: '-1' }), /STRIX_RATE_LIMIT_DEVICE_RPS/);
    assert.throws(() => loadConfig({ STRIX_ROLE: 'web' }), /STRIX_ROLE="web"/);
    assert.throws(() => loadConfig({ STRIX_LOG: 'kafka', STRIX_KAFKA_BROKERS: 'localhost' }), /STRIX_KAFKA_BROKERS="localhost": must be a comma-separated list of host:port/);
    assert.throws(() => loadConfig({ STRIX_WAREHOUSE: 'clickhouse', STRIX_CLICKHOUSE_URL: 'tcp://x:9000' }), /STRIX_CLICKHOUSE_URL/);
    const kafka = { STRIX_LOG: 'kafka', STRIX_KAFKA_BROKERS: 'k1:9092' };
    assert.throws(() => loadConfig({ ...kafka, STRIX_KAFKA_COMPRESSION: 'brotli' }), /STRIX_KAFKA_COMPRESSION="brotli"/);
    const lz4 = loadConfig({ ...kafka, STRIX_KAFKA_COMPRESSION: 'lz4' }).log;
    assert.equal(lz4.kind === 'kafka' && lz4.compression, 'lz4');
    if (typeof (zlib as { zstdCompressSync?: unknown }).zstdCompressSync !== 'function') {
      assert.throws(() => loadConfig({ ...kafka, STRIX_KAFKA_COMPRESSION: 'zstd' }), /STRIX_KAFKA_COMPRESSION="zstd": zstd needs Node.js 22.15 or later/);
    }
    assert.throws(() => loadConfig({ STRIX_SMTP_URL: 'mail.example.com:25' }), /STRIX_SMTP_URL="mail.example.com:25": must be an smtp:\/\/ or smtps:\/\/ URL/);
    assert.throws(() => loadConfig({ STRIX_ISSUE_SCAN_INTERVAL_SECONDS: '0' }), /STRIX_ISSUE_SCAN_INTERVAL_SECONDS/);
  });

  it('believes forwarded headers only from the proxies it names', () => {
    assert.equal(loadConfig({}).trustProxy, false);
    assert.deepEqual(loadConfig({ STRIX_TRUST_PROXY: '10.0.0.0/8, 192.168.1.7,loopback,fd00::/8' }).trustProxy, ['10.0.0.0/8', '192.168.1.7', 'loopback', 'fd00::/8']);
    // Trusting every peer, or a hop count (which cannot check who the peer is), would let any client pick its address.
    for (const refused of ['true', '*', '1', '10.0.0.0/33', 'proxy.internal', '::1/129', '10.0.0.1/8/8']) {
      assert.throws(() => loadConfig({ STRIX_TRUST_PROXY: refused }), /STRIX_TRUST_PROXY=.*must be a comma-separated list of proxy addresses/, refused);
    }
  });

  it('reads the issue jobs and digest mail settings', () => {
    const config = loadConfig({ STRIX_ISSUE_SCAN_INTERVAL_SECONDS: '900', STRIX_SMTP_URL: 'smtps://u:p@mail.example.com:465', STRIX_PUBLIC_URL: 'https://strix.example.com/' });
    assert.equal(config.issueScanIntervalMs, 900_000);
    assert.equal(config.issueNotifyIntervalMs, 3_600_000);
    assert.deepEqual(config.mail, { smtpUrl: 'smtps://u:p@mail.example.com:465', from: 'Strix <strix@localhost>', publicUrl: 'https://strix.example.com' });
    assert.equal(loadConfig({}).mail.smtpUrl, undefined, 'no SMTP server unless one is configured');
  });

  it("reads RevenueCat's rate limit for this process, half of RevenueCat's by default", () => {
    assert.deepEqual(loadConfig({}).integrations.revenueCatRateLimit, { requests: 240, windowMs: 60_000 });
    assert.deepEqual(loadConfig({ STRIX_REVENUECAT_RATE_LIMIT: '200/1s' }).integrations.revenueCatRateLimit, { requests: 200, windowMs: 1_000 });
    for (const refused of ['240', '240/60', '0/60s', '240/0s', '240/1m', ' 240/60s', '1e3/60s']) {
      assert.throws(() => loadConfig({ STRIX_REVENUECAT_RATE_LIMIT: refused }), /STRIX_REVENUECAT_RATE_LIMIT=.*must be <requests>\/<seconds>s, like 240\/60s/, refused);
    }
  });

  it('bounds how long the HTTP server waits on a client, a headers timeout no longer than the request timeout', () => {
    assert.deepEqual(loadConfig({}).httpTimeouts, { headersMs: 10_000, requestMs: 30_000, keepAliveMs: 65_000 });
    const config = loadConfig({ STRIX_HTTP_HEADERS_TIMEOUT_MS: '2000', STRIX_HTTP_REQUEST_TIMEOUT_MS: '5000', STRIX_HTTP_KEEP_ALIVE_TIMEOUT_MS: '5000' });
    assert.deepEqual(config.httpTimeouts, { headersMs: 2000, requestMs: 5000, keepAliveMs: 5000 });
    assert.throws(() => loadConfig({ STRIX_HTTP_REQUEST_TIMEOUT_MS: '0' }), /STRIX_HTTP_REQUEST_TIMEOUT_MS="0"/);
    assert.throws(() => loadConfig({ STRIX_HTTP_HEADERS_TIMEOUT_MS: 'soon' }), /STRIX_HTTP_HEADERS_TIMEOUT_MS="soon"/);
    assert.throws(() => loadConfig({ STRIX_HTTP_HEADERS_TIMEOUT_MS: '40000' }), /STRIX_HTTP_HEADERS_TIMEOUT_MS="40000": must be at most STRIX_HTTP_REQUEST_TIMEOUT_MS \(30000\)/);
  });

  it('refuses root unless STRIX_ALLOW_ROOT=1', () => {
    assert.equal(loadConfig({}).allowRoot, false);
    assert.equal(loadConfig({ STRIX_ALLOW_ROOT: '1' }).allowRoot, true);
    assert.equal(loadConfig({ STRIX_ALLOW_ROOT: '0' }).allowRoot, false);
    assert.throws(() => loadConfig({ STRIX_ALLOW_ROOT: 'yes' }), /STRIX_ALLOW_ROOT="yes": must be 0 or 1/);
  });

  it('names the missing variable an engine or role needs', () => {
    assert.throws(() => loadConfig({ STRIX_LOG: 'kafka' }), /STRIX_KAFKA_BROKERS="": is required when STRIX_LOG=kafka/);
    assert.throws(() => loadConfig({ STRIX_WAREHOUSE: 'clickhouse' }), /STRIX_CLICKHOUSE_URL="": is required/);
    assert.throws(() => loadConfig({ STRIX_SCHEDULER: 'temporal' }), /STRIX_TEMPORAL_ADDRESS="": is required/);
    assert.throws(() => loadConfig({ STRIX_ROLE: 'process' }), /STRIX_LOG="": must be kafka for STRIX_ROLE=process/);
    assert.throws(() => loadConfig({ STRIX_ROLE: 'worker' }), /STRIX_SCHEDULER="": must be temporal/);
  });

  it('reads a distributed role', () => {
    const config = loadConfig({
      STRIX_ROLE: 'process',
      STRIX_LOG: 'kafka',
      STRIX_KAFKA_BROKERS: 'k1:9092, k2:9092',
      STRIX_WAREHOUSE: 'clickhouse',
      STRIX_CLICKHOUSE_URL: 'http://ch:8123',
    });
    assert.equal(config.role, 'process');
    assert.deepEqual(config.log.kind === 'kafka' && config.log.brokers, ['k1:9092', 'k2:9092']);
    assert.equal(config.log.kind === 'kafka' && config.log.compression, 'none');
    assert.equal(config.warehouse.kind === 'clickhouse' && config.warehouse.url, 'http://ch:8123');
  });
});
