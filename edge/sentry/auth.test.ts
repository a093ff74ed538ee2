import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sentryAuthKey } from './auth.ts';

describe('the key of X-Sentry-Auth', () => {
  it('is sentry_key, wherever it stands among the parameters', () => {
    assert.equal(sentryAuthKey('Sentry sentry_key=strix_client_ab12, sentry_version=7, sentry_client=raven-js/3.0'), 'strix_client_ab12');
    assert.equal(sentryAuthKey('Sentry sentry_version=7,sentry_timestamp=1714564800, sentry_key=k1 ,sentry_secret=s'), 'k1');
    assert.equal(sentryAuthKey('sentry_key=k2'), 'k2');
  });

  it('is absent when not sent, or empty', () => {
    assert.equal(sentryAuthKey('Sentry sentry_version=7'), undefined);
    assert.equal(sentryAuthKey('Sentry sentry_key=, sentry_version=7'), undefined);
    assert.equal(sentryAuthKey('Sentry not_sentry_key=k3'), undefined);
  });
});
