// Shared by the control-plane contract suites (control-plane-contract.ts, keys-contract.ts).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { DomainError, type DomainErrorKind } from '@strix/contracts';
import type { Actor } from './audit.ts';

export const actor: Actor = { type: 'user', id: 'user-contract', label: 'ada@example.com', ip: '203.0.113.7' };

/** A name no other test of the run uses: tests share one store. */
export const unique = (name: string): string => `${name} ${randomUUID().slice(0, 8)}`;

/** Expects a DomainError of `kind` whose message matches (the HTTP layer shows it to the caller). */
export async function domainError(promise: Promise<unknown>, kind: DomainErrorKind, message: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof DomainError, `expected a DomainError, got ${String(error)}`);
    assert.equal(error.kind, kind, error.message);
    assert.match(error.message, message);
    return true;
  });
}
