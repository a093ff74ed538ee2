import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { openTestControl, seedProjects } from '@strix/testkit/control';
import { FunnelPatch, NewFunnel, createFunnel, deleteFunnel, getFunnel, listFunnels, updateFunnel } from './funnel-store.ts';

const steps = [{ event: 'cart' }, { event: 'paid' }];

describe('saved funnels over the control plane’s store', () => {
  let control: Awaited<ReturnType<typeof openTestControl>>;
  before(async () => {
    control = await openTestControl();
    await seedProjects(control, { id: 'shop', name: 'Shop' }, { id: 'blog', name: 'Blog' });
  });
  after(() => control?.close());

  it('reads back what it saved, defaults applied; another project finds nothing', async () => {
    const store = control.funnels();
    const saved = await createFunnel(store, 'shop', NewFunnel.parse({ name: 'Checkout', steps }), 1_000);
    assert.match(saved.id, /^fnl_[A-Za-z0-9_-]{16}$/);
    assert.deepEqual(await getFunnel(store, 'shop', saved.id), saved);
    assert.deepEqual(saved.definition, { steps, mode: 'closed', window_seconds: 604_800, strict_order: false, exclusions: [], by: 'user' });
    assert.deepEqual(await listFunnels(store, 'shop', { limit: 10, offset: 0 }), [saved]);
    assert.equal(await getFunnel(store, 'blog', saved.id), undefined);
  });

  it('checks the merged definition and keeps the stored one when it is refused; updated_at never goes back', async () => {
    const store = control.funnels();
    const three = [...steps, { event: 'review' }];
    const saved = await createFunnel(store, 'shop', NewFunnel.parse({ name: 'Paywall', steps: three, exclusions: [{ event: 'refund', to_step: 3 }] }), 5_000);
    // Two steps leave the exclusion past the last one: the ZodError the route turns into a 400.
    await assert.rejects(updateFunnel(store, 'shop', saved.id, FunnelPatch.parse({ steps })), z.ZodError);
    assert.deepEqual(await getFunnel(store, 'shop', saved.id), saved);
    const renamed = await updateFunnel(store, 'shop', saved.id, FunnelPatch.parse({ name: 'Paywall v2' }), 4_000);
    assert.deepEqual(renamed, { ...saved, name: 'Paywall v2', updated_at: 5_000 });
    assert.equal(await deleteFunnel(store, 'shop', saved.id, 6_000), true);
    assert.equal(await updateFunnel(store, 'shop', saved.id, FunnelPatch.parse({ name: 'gone' })), undefined);
  });

  it('refuses U+0000 in a saved funnel, naming the field (PostgreSQL cannot store it)', () => {
    const issue = (result: { success: boolean; error?: z.ZodError }) => result.error?.issues.map((i) => [i.path.join('.'), i.message])[0];
    assert.deepEqual(issue(NewFunnel.safeParse({ name: 'a\u0000b', steps })), ['name', 'must not contain the character U+0000 in a saved funnel']);
    assert.deepEqual(issue(FunnelPatch.safeParse({ steps: [{ event: 'cart' }, { event: 'paid', where: [{ property: 'plan', op: 'eq', value: 'p\u0000' }] }] })), [
      'steps.1.where.0.value',
      'must not contain the character U+0000 in a saved funnel',
    ]);
  });
});
