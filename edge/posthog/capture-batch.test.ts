import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '@strix/http';
import { readCaptureBatch } from './capture-batch.ts';

const key = 'strix_client_aaaa';

function refusal(body: unknown): string {
  try {
    readCaptureBatch(body, {});
  } catch (error) {
    assert.ok(error instanceof ApiError);
    assert.equal(error.statusCode, 400);
    return error.message;
  }
  assert.fail('expected a 400');
}

describe('readCaptureBatch: the shapes of a capture body', () => {
  it('reads {api_key, batch, sent_at} (posthog-node), a list (posthog-js) and one event', () => {
    const event = { event: 'x', distinct_id: 'u' };
    assert.deepEqual(readCaptureBatch({ api_key: key, batch: [event], sent_at: '2026-03-01T12:00:00.000Z' }, {}), {
      key,
      sentAt: Date.parse('2026-03-01T12:00:00.000Z'),
      events: [event],
    });
    const js = { event: 'x', properties: { token: key } };
    assert.deepEqual(readCaptureBatch([js, js], { _: '1772366400000' }), { key, sentAt: 1772366400000, events: [js, js] });
    assert.deepEqual(readCaptureBatch({ ...event, api_key: key }, { sent_at: '1772366400000' }), { key, sentAt: 1772366400000, events: [{ ...event, api_key: key }] });
    assert.equal(readCaptureBatch({ token: key, batch: [event] }, {}).key, key);
    assert.equal(readCaptureBatch([{ event: 'x', $token: key }], {}).key, key);
  });

  it('answers no key when none is sent (the route answers 401), and refuses two keys in one request', () => {
    assert.equal(readCaptureBatch({ batch: [{ event: 'x' }] }, {}).key, undefined);
    assert.equal(
      refusal({ api_key: key, batch: [{ event: 'x' }, { event: 'y', properties: { token: 'strix_client_bbbb' } }] }),
      "batch[1]: names another API key than the request; send one project's events per request",
    );
  });

  it('refuses a body that is no capture, naming what it must be', () => {
    assert.equal(refusal(undefined), 'request body is empty; expected an event, a list of events or {"api_key": …, "batch": [events]}');
    assert.equal(refusal('text'), 'request body: expected an event, a list of events or {"api_key": …, "batch": [events]}');
    assert.equal(refusal({ api_key: key, batch: {} }), 'body field batch: must be a list of events');
    assert.equal(refusal([]), 'body field batch: must contain at least one event');
  });
});
