// The SDK imports nothing from the server, so it mirrors the ingest limits: it must never send past the server's.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { IngestLimits } from '@strix/contracts';
import { Limits } from '@strix/sdk/wire';

it("the SDK's item limits are within the server's ingest limits", () => {
  const mirrored = Object.keys(Limits).filter((name) => name in IngestLimits);
  assert.ok(mirrored.length >= 15, `the SDK mirrors ${mirrored.length} limits`);
  for (const name of mirrored) {
    const [sdk, server] = [Limits[name as keyof typeof Limits], IngestLimits[name as keyof typeof IngestLimits]];
    assert.ok(sdk <= server, `${name}: the SDK allows ${sdk}, the server ${server}`);
  }
});
