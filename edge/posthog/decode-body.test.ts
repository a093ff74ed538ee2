import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import LZString from 'lz-string';
import { ApiError } from '@strix/http';
import { decodeCaptureBody } from './decode-body.ts';

const limit = 64 * 1024;
const payload = { api_key: 'strix_client_x', batch: [{ event: 'signed_up', distinct_id: 'u1', properties: { plan: 'pro', note: 'ünïcode 😀 a+b/c >>>' } }] };
const json = JSON.stringify(payload);
const base64 = Buffer.from(json).toString('base64');

const decode = (body: Buffer | string, contentType: string | undefined, compression?: string) =>
  decodeCaptureBody(typeof body === 'string' ? Buffer.from(body) : body, contentType, compression, limit);

async function refusal(promise: Promise<unknown>): Promise<{ status: number; message: string }> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ApiError, String(error));
    return { status: error.statusCode, message: error.message };
  }
  assert.fail('expected a refusal');
}

describe('decodeCaptureBody: every body a PostHog SDK sends', () => {
  it('reads JSON, sendBeacon text/plain JSON and a body with no content type', async () => {
    assert.deepEqual(await decode(json, 'application/json'), payload);
    assert.deepEqual(await decode(json, 'text/plain;charset=UTF-8'), payload);
    assert.deepEqual(await decode(json, undefined), payload);
  });

  it('reads gzip-js, named or recognized by its magic bytes (posthog-js drops the parameter when it gzips)', async () => {
    const gz = gzipSync(json);
    assert.deepEqual(await decode(gz, 'text/plain', 'gzip-js'), payload);
    assert.deepEqual(await decode(gz, 'text/plain', 'gzip'), payload);
    assert.deepEqual(await decode(gz, 'text/plain'), payload);
  });

  it('reads forms: data=<base64> (encoded, or with + left as a space), data=<JSON>, data=<lz64>', async () => {
    const form = 'application/x-www-form-urlencoded';
    assert.deepEqual(await decode(`data=${encodeURIComponent(base64)}`, form, 'base64'), payload);
    assert.match(base64, /\+/);
    assert.deepEqual(await decode(`data=${base64}`, form), payload, 'an unencoded + reads as a space, and is put back');
    assert.deepEqual(await decode(`data=${encodeURIComponent(json)}`, form), payload);
    assert.deepEqual(await decode(`data=${encodeURIComponent(LZString.compressToBase64(json))}&compression=lz64`, form), payload);
    assert.deepEqual(await decode(`data=${encodeURIComponent(LZString.compressToBase64(json))}`, form, 'lz64'), payload);
  });

  it('reads raw base64 and lz64 bodies', async () => {
    assert.deepEqual(await decode(base64, 'text/plain', 'base64'), payload);
    assert.deepEqual(await decode(LZString.compressToBase64(json), 'text/plain', 'lz64'), payload);
  });

  it('answers undefined for an empty body', async () => {
    assert.equal(await decode('', 'application/json'), undefined);
  });

  it('refuses a body that inflates past the limit (413), whichever the compression', async () => {
    const big = JSON.stringify({ event: 'x', properties: { pad: 'a'.repeat(limit) } });
    const gz = gzipSync(big);
    assert.ok(gz.length < limit / 10);
    assert.deepEqual(await refusal(decode(gz, 'text/plain')), { status: 413, message: `request body exceeds the limit of ${limit} bytes (after decompression)` });
    assert.equal((await refusal(decode(LZString.compressToBase64(big), 'text/plain', 'lz64'))).status, 413);
    // Multi-byte text: the limit counts bytes, not characters.
    const wide = LZString.compressToBase64(JSON.stringify({ event: 'x', pad: '€'.repeat(limit / 2) }));
    assert.equal((await refusal(decode(wide, 'text/plain', 'lz64'))).status, 413);
  });

  it('names what is wrong: the compression, the form field, the gzip, the JSON', async () => {
    assert.deepEqual(await refusal(decode(json, 'application/json', 'brotli')), { status: 400, message: 'query parameter compression: must be one of gzip-js, gzip, base64, lz64' });
    assert.deepEqual(await refusal(decode('x=1', 'application/x-www-form-urlencoded')), { status: 400, message: 'form field data: is required (data=<base64 JSON>)' });
    assert.deepEqual(await refusal(decode(json, 'text/plain', 'gzip-js')), { status: 400, message: 'request body is not valid gzip' });
    assert.deepEqual(await refusal(decode('////', 'text/plain', 'lz64')), { status: 400, message: 'request body is not valid lz64 (LZString.compressToBase64)' });
    const broken = await refusal(decode('{"event":', 'application/json'));
    assert.equal(broken.status, 400);
    assert.match(broken.message, /^request body is not valid JSON: /);
    assert.match((await refusal(decode('bm90IGpzb24=', 'text/plain', 'base64'))).message, /^request body is not valid JSON \(after base64 decoding\): /);
  });
});
