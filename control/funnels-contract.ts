/**
 * The saved-funnels part of the control-plane contract (control-plane-contract.ts
 * runs it on its store): the store the analytics layer keeps funnels in,
 * scoped by project, paged in creation order, soft-deleted, gone with its
 * project, and the one-time copy of an older install's warehouse funnels.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StoredFunnel } from '@strix/contracts';
import { listAuditLog } from './audit.ts';
import type { ControlDb } from './db.ts';
import { SavedFunnels, hasSavedFunnels, importLegacyFunnels } from './funnels.ts';
import { createProject, createTeam, deleteProject, purgeDeletedProjects, projectDeletionGraceMs } from './projects.ts';
import { actor, unique } from './contract-fixture.ts';

const definition = { steps: [{ event: 'cart' }, { event: 'paid', where: [{ property: 'plan', op: 'eq', value: 'pro' }] }], mode: 'closed', window_seconds: 3600, by: 'user' };
const t0 = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
let ids = 0;
const funnel = (over: Partial<StoredFunnel> = {}): StoredFunnel => ({
  id: `fnl_contract_${Date.now().toString(36)}_${++ids}`,
  name: 'Checkout',
  definition,
  created_at: t0,
  updated_at: t0,
  ...over,
});

export function describeSavedFunnelsContract(store: () => ControlDb): void {
  describe('saved funnels', () => {
    const setup = async () => {
      const db = store();
      const funnels = new SavedFunnels(db);
      const { team, shop, blog } = await db.transaction(async (tx) => {
        const team = await createTeam(tx, { name: unique('Team') }, actor);
        const shop = await createProject(tx, team.id, { name: 'Shop' }, actor);
        const blog = await createProject(tx, team.id, { name: 'Blog' }, actor);
        return { team, shop, blog };
      });
      return { db, funnels, team, shop, blog };
    };

    it('keeps a funnel’s name, definition (JSON) and times to the millisecond; another project’s id finds nothing', async () => {
      const { funnels, shop, blog } = await setup();
      const f = funnel();
      await funnels.create(shop.id, f);
      assert.deepEqual(await funnels.get(shop.id, f.id), f);
      assert.equal(await funnels.get(blog.id, f.id), undefined);
      assert.deepEqual(await funnels.list(blog.id, { limit: 10, offset: 0 }), []);
      assert.equal(await funnels.delete(blog.id, f.id, t0 + 1), false);
      assert.equal(await funnels.update(blog.id, f.id, (c) => ({ ...c, name: 'stolen' })), undefined);
      assert.equal((await funnels.get(shop.id, f.id))?.name, 'Checkout');
    });

    it('lists oldest first, ties by id bytewise, a page at a time', async () => {
      const { funnels, shop } = await setup();
      // 'fnl_B' < 'fnl_a' bytewise, though a linguistic collation would put 'a' first.
      const made = [funnel({ id: `fnl_a${ids}`, created_at: t0 + 5 }), funnel({ id: `fnl_B${ids}`, created_at: t0 + 5 }), funnel({ id: `fnl_z${ids}`, created_at: t0 })];
      for (const f of made) await funnels.create(shop.id, f);
      const order = [made[2]!.id, made[1]!.id, made[0]!.id];
      assert.deepEqual((await funnels.list(shop.id, { limit: 10, offset: 0 })).map((f) => f.id), order);
      assert.deepEqual((await funnels.list(shop.id, { limit: 2, offset: 1 })).map((f) => f.id), order.slice(1));
      assert.deepEqual(await funnels.list(shop.id, { limit: 2, offset: 3 }), []);
    });

    it('updates in one transaction; a change that throws changes nothing', async () => {
      const { funnels, shop } = await setup();
      const f = funnel();
      await funnels.create(shop.id, f);
      const changed = await funnels.update(shop.id, f.id, (c) => ({ ...c, name: 'Paid', definition: { ...c.definition, window_seconds: 60 }, updated_at: t0 + 1000 }));
      assert.deepEqual(changed, { ...f, name: 'Paid', definition: { ...definition, window_seconds: 60 }, updated_at: t0 + 1000 });
      assert.deepEqual(await funnels.get(shop.id, f.id), changed);
      await assert.rejects(funnels.update(shop.id, f.id, () => { throw new Error('invalid merge'); }), /invalid merge/);
      assert.deepEqual(await funnels.get(shop.id, f.id), changed);
      // Concurrent patches: each sees the other's change, none is lost.
      await Promise.all([1, 2, 3].map((n) => funnels.update(shop.id, f.id, (c) => ({ ...c, name: `${c.name}+${n}` }))));
      assert.equal((await funnels.get(shop.id, f.id))?.name.split('+').length, 4);
    });

    it('soft-deletes: a deleted funnel is neither read, listed, changed nor deleted again', async () => {
      const { db, funnels, shop } = await setup();
      const [kept, gone] = [funnel(), funnel()];
      await funnels.create(shop.id, kept);
      await funnels.create(shop.id, gone);
      assert.equal(await funnels.delete(shop.id, gone.id, t0 + 1), true);
      assert.equal(await funnels.get(shop.id, gone.id), undefined);
      assert.deepEqual((await funnels.list(shop.id, { limit: 10, offset: 0 })).map((f) => f.id), [kept.id]);
      assert.equal(await funnels.update(shop.id, gone.id, (c) => c), undefined);
      assert.equal(await funnels.delete(shop.id, gone.id, t0 + 2), false);
      const [row] = await db.query<{ deleted: boolean }>('SELECT deleted_at IS NOT NULL AS deleted FROM saved_funnels WHERE id = $1', [gone.id]);
      assert.equal(row?.deleted, true, 'the row stays, marked');
    });

    it('goes with its project when the project is purged', async () => {
      const { db, funnels, shop } = await setup();
      const f = funnel();
      await funnels.create(shop.id, f);
      await db.transaction((tx) => deleteProject(tx, shop.id, actor));
      await purgeDeletedProjects(db, Date.now() + projectDeletionGraceMs + 60_000, actor);
      assert.deepEqual(await db.query('SELECT id FROM saved_funnels WHERE id = $1', [f.id]), []);
      await assert.rejects(funnels.create(shop.id, funnel()), /foreign key|violates/, 'a funnel needs its project');
    });

    it('copies an older install’s funnels once, of live projects only, with an audit entry per project', async () => {
      const { db, funnels, team, shop, blog } = await setup();
      const already = funnel({ name: 'Already here' });
      await funnels.create(shop.id, already);
      await funnels.delete(shop.id, already.id, t0 + 1);
      await db.transaction((tx) => deleteProject(tx, blog.id, actor));
      const legacy = [
        { ...funnel({ name: 'Legacy' }), project_id: shop.id },
        { ...already, name: 'Resurrected?', project_id: shop.id },
        { ...funnel(), project_id: blog.id },
        { ...funnel(), project_id: 'no-such-project' },
      ];
      assert.equal(await importLegacyFunnels(db, legacy), 1);
      assert.equal(await importLegacyFunnels(db, legacy), 0, 'idempotent');
      const copied = legacy[0]!;
      assert.deepEqual(await funnels.list(shop.id, { limit: 10, offset: 0 }), [
        { id: copied.id, name: copied.name, definition: copied.definition, created_at: copied.created_at, updated_at: copied.updated_at },
      ]);
      assert.equal(await funnels.get(shop.id, already.id), undefined, 'a funnel deleted here stays deleted');
      assert.equal(await hasSavedFunnels(db), true);
      const log = await listAuditLog(db, team.id, { projectId: shop.id, limit: 10 });
      assert.deepEqual(log.filter((e) => e.action === 'funnel.import').map((e) => e.details), [{ funnels: 1 }]);
    });
  });
}
