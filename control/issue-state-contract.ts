/**
 * The issue-state part of the control-plane contract (control-plane-contract.ts
 * runs it on its store): what the issues layer keeps here — state, routes,
 * comments — scoped by project, changed under row locks so concurrent changes
 * never lose one another, marked for the warehouse's copy, gone with its
 * project, and the one-time copy of an older install's warehouse state.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CommentRow, IssueRow } from '@strix/contracts';
import type { ControlDb } from './db.ts';
import { IssueStates, importLegacyIssueState, issueStateImported } from './issue-state.ts';
import { createProject, createTeam, deleteProject, projectDeletionGraceMs, purgeDeletedProjects } from './projects.ts';
import { actor, domainError, unique } from './contract-fixture.ts';

const t0 = Date.UTC(2026, 0, 2, 3, 4, 5, 678);

const issue = (projectId: string, issueId: string, over: Partial<IssueRow> = {}): IssueRow => ({
  project_id: projectId, issue_id: issueId, app_id: 'app', is_dev: false, title: 'TypeError: x is undefined', culprit: 'load (cart.ts)',
  exception_type: 'TypeError', grouping_config: 'strix-2', status: 'new', resolved_at: null, resolved_at_version: '', snoozed_until: null,
  regressed_at: null, regressed_in_version: '', created_at: t0, updated_at: t0, merged_into: '', ...over,
});

const comment = (projectId: string, issueId: string, commentId: string, over: Partial<CommentRow> = {}): CommentRow => ({
  project_id: projectId, comment_id: commentId, issue_id: issueId, author_type: 'user', author_name: 'ada@example.com', body: 'Seen on **iOS**',
  created_at: t0, edited_at: null, deleted_at: null, ...over,
});

export function describeIssueStateContract(store: () => ControlDb): void {
  describe('issue state', () => {
    const setup = async () => {
      const db = store();
      const { shop, blog } = await db.transaction(async (tx) => {
        const team = await createTeam(tx, { name: unique('Team') }, actor);
        return { shop: await createProject(tx, team.id, { name: 'Shop' }, actor), blog: await createProject(tx, team.id, { name: 'Blog' }, actor) };
      });
      return { db, state: new IssueStates(db), shop: shop.id, blog: blog.id };
    };

    it('keeps each project’s issues, routes and comments apart, even under one id', async () => {
      const { state, shop, blog } = await setup();
      await state.insertIssues([issue(shop, 'iss_1'), issue(blog, 'iss_1', { title: 'Blog crash' })]);
      await state.insertRoutes([{ project_id: shop, fingerprint: 'fp', issue_id: 'iss_1', grouping_config: 'strix-2', created_at: t0 }]);
      await state.saveComments([comment(shop, 'iss_1', 'cmt_1')]);
      assert.deepEqual(await state.issues(shop, ['iss_1']), [issue(shop, 'iss_1')]);
      assert.deepEqual((await state.issues(blog, ['iss_1'])).map((i) => i.title), ['Blog crash']);
      assert.deepEqual(await state.routes(blog, ['fp']), []);
      assert.deepEqual(await state.routesOf(blog, ['iss_1']), []);
      assert.deepEqual(await state.comments(blog, ['iss_1']), []);
      assert.equal(await state.comment(blog, 'cmt_1'), undefined);
      assert.deepEqual(await state.comment(shop, 'cmt_1'), comment(shop, 'iss_1', 'cmt_1'));
    });

    it('inserting keeps a stored issue or route; saving replaces it with a newer version to copy', async () => {
      const { state, shop } = await setup();
      await state.insertIssues([issue(shop, 'iss_keep')]);
      await state.insertIssues([issue(shop, 'iss_keep', { status: 'resolved', title: 'other' })]);
      assert.equal((await state.issues(shop, ['iss_keep']))[0]?.status, 'new', 'a racing scan keeps what is stored');
      const [first] = (await state.unmirrored(100, shop)).issues;
      assert.ok(first && first.version > 1_600_000_000_000_000, 'versions are microseconds of the clock');
      await state.markMirrored({ issues: [first], routes: [], comments: [] });
      assert.deepEqual((await state.unmirrored(100, shop)).issues, []);

      await state.saveIssues([issue(shop, 'iss_keep', { status: 'in_progress', updated_at: t0 + 1 })]);
      const [second] = (await state.unmirrored(100, shop)).issues;
      assert.equal(second?.status, 'in_progress');
      assert.ok(second && second.version > first.version);
      // A mark for an older version leaves the newer change waiting for its copy.
      await state.markMirrored({ issues: [first], routes: [], comments: [] });
      assert.equal((await state.unmirrored(100, shop)).issues.length, 1);
      await state.markMirrored({ issues: [second], routes: [], comments: [] });
      assert.deepEqual(await state.unmirrored(100, shop), { issues: [], routes: [], comments: [] });
    });

    it('changes made at once under the row lock all land, none lost', async () => {
      const { state, shop } = await setup();
      await state.insertIssues([issue(shop, 'iss_busy', { resolved_at_version: '' })]);
      // Each appends to what it read: on a server these run on separate connections and would overwrite one another without the lock.
      await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          state.transaction(async (tx) => {
            const [current] = await tx.lockIssues(shop, ['iss_busy']);
            await new Promise((resolve) => setTimeout(resolve, 5));
            await tx.saveIssues([{ ...current!, resolved_at_version: `${current!.resolved_at_version}${i}` }]);
          }),
        ),
      );
      const [final] = await state.issues(shop, ['iss_busy']);
      assert.deepEqual([...(final?.resolved_at_version ?? '')].sort(), ['0', '1', '2', '3', '4', '5', '6', '7']);
    });

    it('keeps nothing of a transaction that throws', async () => {
      const { state, shop } = await setup();
      await assert.rejects(
        state.transaction(async (tx) => {
          await tx.insertIssues([issue(shop, 'iss_rolled_back')]);
          throw new Error('boom');
        }),
        /boom/,
      );
      assert.deepEqual(await state.issues(shop, ['iss_rolled_back']), []);
    });

    it('refuses U+0000 as a client error and purges soft-deleted comments', async () => {
      const { state, shop } = await setup();
      await domainError(state.saveComments([comment(shop, 'iss_1', 'cmt_nul', { body: 'a\u0000b' })]), 'invalid', /U\+0000/);
      await state.saveComments([comment(shop, 'iss_1', 'cmt_old', { deleted_at: t0 }), comment(shop, 'iss_1', 'cmt_new', { deleted_at: t0 + 10_000 }), comment(shop, 'iss_1', 'cmt_live')]);
      const due = (await state.deletedComments(t0 + 1, 100)).filter((c) => c.project_id === shop);
      assert.deepEqual(due, [{ project_id: shop, comment_id: 'cmt_old' }]);
      await state.purgeComments(due);
      assert.deepEqual((await state.comments(shop, ['iss_1'], true)).map((c) => c.comment_id).sort(), ['cmt_live', 'cmt_new']);
    });

    it('goes with its project when the project is purged', async () => {
      const { db, state, shop } = await setup();
      await state.insertIssues([issue(shop, 'iss_gone')]);
      await state.saveComments([comment(shop, 'iss_gone', 'cmt_gone')]);
      await db.transaction((tx) => deleteProject(tx, shop, actor));
      await purgeDeletedProjects(db, Date.now() + projectDeletionGraceMs + 60_000, actor);
      assert.deepEqual(await state.issues(shop, ['iss_gone']), []);
      assert.equal(await state.comment(shop, 'cmt_gone'), undefined);
    });

    it('copies an older install’s warehouse state once, at its versions, for known projects only', async () => {
      const { db, state, shop } = await setup();
      // The store is shared by the contract's tests: an earlier copy would make this one a no-op.
      await db.query("DELETE FROM warehouse_imports WHERE name = 'issue state'");
      const legacy = {
        issues: [{ ...issue(shop, 'iss_legacy', { status: 'resolved' as const, resolved_at: t0, resolved_at_version: '2.0.0' }), version: 1_700_000_000_000_001 }, { ...issue('gone-project', 'iss_x'), version: 5 }],
        routes: [{ project_id: shop, fingerprint: 'fp_legacy', issue_id: 'iss_legacy', grouping_config: 'strix-1', created_at: t0, version: 7 }],
        comments: [{ ...comment(shop, 'iss_legacy', 'cmt_legacy'), version: 9 }],
      };
      assert.deepEqual(await importLegacyIssueState(db, legacy), { issues: 1, routes: 1, comments: 1 });
      assert.ok(await issueStateImported(db));
      assert.equal(await importLegacyIssueState(db, legacy), undefined, 'once');
      assert.deepEqual(await state.issues(shop, ['iss_legacy']), [issue(shop, 'iss_legacy', { status: 'resolved', resolved_at: t0, resolved_at_version: '2.0.0' })]);
      assert.deepEqual((await state.unmirrored(100, shop)).issues, [], 'already in the warehouse at that version');
      // The next change outranks the version the row had there.
      await state.saveIssues([issue(shop, 'iss_legacy', { status: 'new' })]);
      assert.ok(((await state.unmirrored(100, shop)).issues[0]?.version ?? 0) > 1_700_000_000_000_001);
    });
  });
}
