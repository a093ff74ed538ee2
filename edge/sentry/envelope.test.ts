import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseEnvelope, type Envelope } from './envelope.ts';

const lines = (...parts: (string | Buffer)[]) => Buffer.concat(parts.flatMap((p, i) => (i === 0 ? [Buffer.from(p)] : [Buffer.from('\n'), Buffer.from(p)])));

function parsed(body: Buffer): Envelope {
  const envelope = parseEnvelope(body);
  if (typeof envelope === 'string') assert.fail(envelope);
  return envelope;
}

describe('Sentry envelopes', () => {
  it('reads the header and each item, with and without a length', () => {
    const event = '{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc","message":"hi"}';
    const binary = Buffer.from([0x7b, 0x0a, 0x0a, 0xff, 0x00]); // a payload holding newlines: only `length` can carry it
    const envelope = parsed(
      lines(
        '{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc","dsn":"https://k@strix.example/1"}',
        '{"type":"event"}',
        event,
        Buffer.concat([Buffer.from(`{"type":"attachment","length":${binary.length},"filename":"dump.bin"}\n`), binary]),
        `{"type":"session","length":${Buffer.byteLength('{"sid":"é"}')}}`,
        '{"sid":"é"}',
        '',
      ),
    );
    assert.equal(envelope.header.event_id, '9ec79c33ec9942ab8353589fcb2e04dc');
    assert.deepEqual(envelope.items.map((i) => i.type), ['event', 'attachment', 'session']);
    assert.equal(envelope.items[0]?.payload.toString(), event);
    assert.deepEqual(envelope.items[1]?.payload, binary);
    assert.equal(envelope.items[1]?.header.filename, 'dump.bin');
    assert.equal(envelope.items[2]?.payload.toString(), '{"sid":"é"}', 'length counts bytes, not characters');
  });

  it('takes an envelope without items, a last payload without a newline, and Windows line ends', () => {
    assert.deepEqual(parsed(Buffer.from('{}')).items, []);
    assert.deepEqual(parsed(Buffer.from('{}\n')).items, []);
    const envelope = parsed(Buffer.from('{}\r\n{"type":"event"}\r\n{"message":"x"}'));
    assert.equal(envelope.items[0]?.payload.toString(), '{"message":"x"}');
    const zeroLength = parsed(Buffer.from('{}\n{"type":"client_report","length":0}\n\n{"type":"event"}\n{}'));
    assert.deepEqual(zeroLength.items.map((i) => [i.type, i.payload.length]), [['client_report', 0], ['event', 2]]);
  });

  it('says what is wrong with a malformed envelope, naming the line or item', () => {
    assert.equal(parseEnvelope(Buffer.alloc(0)), 'envelope: empty; expected a header line of JSON');
    assert.equal(parseEnvelope(Buffer.from('not json\n{"type":"event"}\n{}')), 'envelope header (line 1): not valid JSON');
    assert.equal(parseEnvelope(Buffer.from('[1]')), 'envelope header (line 1): must be a JSON object');
    assert.equal(parseEnvelope(Buffer.from('{}\n{"length":2}\n{}')), 'envelope item 1 header: type is required (event, session, attachment…)');
    assert.equal(parseEnvelope(Buffer.from('{}\n{"type":"event"}\n{}\n{"type":"attachment","length":90}\nab')), 'envelope item 2 header: length 90 exceeds the 2 bytes left');
    assert.equal(parseEnvelope(Buffer.from('{}\n{"type":"attachment","length":-1}\n')), 'envelope item 1 header: length must be a non-negative integer');
    assert.equal(parseEnvelope(Buffer.from('{}\n{"type":"event"\n{}')), 'envelope item 1 header: not valid JSON');
  });
});
