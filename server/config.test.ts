import assert from 'node:assert/strict';
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
  });
});
