import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readScope, timeWindow } from './read-scope.ts';

describe('readScope', () => {
  it('defaults to production; data_mode all reads both', () => {
    assert.equal(readScope('p', {}).isDev, false);
    assert.equal(readScope('p', {}).dataMode, 'production');
    assert.equal(readScope('p', { data_mode: 'development' }).isDev, true);
    assert.equal(readScope('p', { data_mode: 'all' }).isDev, undefined);
  });

  it('reads the deprecated is_dev as a data mode, and refuses it beside data_mode naming both', () => {
    assert.equal(readScope('p', { is_dev: 'true' }).dataMode, 'development');
    assert.equal(readScope('p', { is_dev: 'false' }).dataMode, 'production');
    assert.throws(() => readScope('p', { is_dev: 'true', data_mode: 'all' }), (e: Error & { statusCode?: number }) => {
      assert.equal(e.statusCode, 400);
      assert.match(e.message, /^query parameters is_dev and data_mode: /);
      return true;
    });
  });
});

describe('timeWindow', () => {
  it('applies a route’s defaults and refuses from after to', () => {
    assert.deepEqual(timeWindow({ fromMs: undefined, toMs: 1000 }, { spanMs: 100 }), { fromMs: 900, toMs: 1000 });
    assert.deepEqual(timeWindow({ fromMs: 5, toMs: undefined }, { spanMs: 100, toMs: 50 }), { fromMs: 5, toMs: 50 });
    assert.throws(() => timeWindow({ fromMs: 10, toMs: 10 }, { spanMs: 1 }), /query parameter from: must be before to/);
  });
});
