/**
 * An install made before the control plane had its own store kept its
 * projects, apps, key hashes and digest recipients in the warehouse. Its data
 * directory is rebuilt here exactly as that bootstrap wrote it (the same
 * warehouse writes, old-format keys, an old permission name), with a saved
 * funnel and an issue a person resolved and commented on (issue state was
 * kept in the warehouse too); today's Strix must start on it and lose nothing.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { hashKey } from '@strix/contracts';
import { openPglite } from '@strix/control';
import { issueIdFor } from '@strix/issues';
import { errorRow } from '@strix/testkit/rows';
import { kill, spawnStrix } from '@strix/testkit/process';
import { addProjectMember, migrate, sqlDir, upsertApiKey, upsertApp, upsertProject, writeFunnel, type FunnelRow } from '@strix/warehouse';
import { ChdbWarehouse } from '@strix/warehouse/chdb';

// The key format of that release: a short prefix and base64url, which may hold '-' and '_'.
const oldKey = (prefix: string) => `${prefix}${randomBytes(24).toString('base64url')}`;

describe('upgrading an install whose control data is in the warehouse', () => {
  it('imports projects, apps, keys and digest recipients once; funnels and issues stay', { timeout: 240_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'strix-upgrade-'));
    const projectId = 'c0ffee00-0000-4000-8000-000000000001';
    const appId = 'c0ffee00-0000-4000-8000-000000000002';
    const clientKey = oldKey('strix_c_');
    const agentKey = oldKey('strix_a_');
    const revokedKey = oldKey('strix_c_');
    const joined = Date.UTC(2026, 10, 2, 9, 30);
    const funnelId = 'fnl_legacyCheckoutFunnel0';
    const issueId = issueIdFor(projectId, 'f'.repeat(64));
    const steps = [{ event: 'cart' }, { event: 'paid' }];
    // Saved funnels as that release wrote them: versions of a row, a deletion being a version with deleted_at.
    const funnelRow = (id: string, name: string, deletedAt: number | null = null): FunnelRow => ({
      project_id: projectId, funnel_id: id, name, steps: JSON.stringify(steps), mode: 'closed', window_seconds: 3600, strict_order: false,
      exclusions: JSON.stringify([{ event: 'refund' }]), by: 'user', created_at: joined, updated_at: deletedAt ?? joined, deleted_at: deletedAt,
    });
    try {
      const wh = new ChdbWarehouse(join(dir, 'chdb'));
      try {
        await migrate(wh, sqlDir);
        await upsertProject(wh, { project_id: projectId, name: 'Legacy shop', retention_days: 45, issue_alert_frequency: 'weekly' });
        await upsertApp(wh, { project_id: projectId, app_id: appId, name: 'Default app', platform: 'web' });
        const key = (k: string, type: 'client' | 'agent', permissions: string[], revoked = 0) =>
          upsertApiKey(wh, { key_hash: hashKey(k), key_prefix: k.slice(0, 12), key_type: type, project_id: projectId, app_id: type === 'client' ? appId : '', permissions, revoked });
        await key(clientKey, 'client', ['events:write']);
        await key(agentKey, 'agent', ['events:read', 'issues:read', 'issues:write', 'funnels:write', 'project:admin']);
        await key(revokedKey, 'client', ['events:write'], 1);
        await addProjectMember(wh, { project_id: projectId, email: 'alice@example.com', name: 'Alice' }, joined);
        await writeFunnel(wh, funnelRow(funnelId, 'Checkout'));
        await writeFunnel(wh, funnelRow('fnl_legacyDeletedFunnel00', 'Old'));
        await writeFunnel(wh, funnelRow('fnl_legacyDeletedFunnel00', 'Old', joined + 1000));
        // An error, and the issue state that release's scan and a person left: resolved in 2.0.0, with a comment.
        const fingerprint = 'f'.repeat(64);
        const version = joined * 1000;
        await wh.insert('events', [errorRow({ project_id: projectId, fingerprint, session_id: 's1', message: 'Legacy crash' })]);
        await wh.insert('issues', [{
          project_id: projectId, issue_id: issueId, app_id: appId, is_dev: false, title: 'Legacy crash', culprit: '', exception_type: '', grouping_config: 'strix-2',
          status: 'resolved', resolved_at: joined + 60_000, resolved_at_version: '2.0.0', snoozed_until: null, regressed_at: null, regressed_in_version: '',
          created_at: joined, updated_at: joined + 60_000, merged_into: '', version,
        }]);
        await wh.insert('issue_fingerprints', [{ project_id: projectId, fingerprint, issue_id: issueId, grouping_config: 'strix-2', created_at: joined, version }]);
        await wh.insert('issue_stats', [{ project_id: projectId, issue_id: issueId, occurrences: 1, users: 1, first_seen: joined, last_seen: joined, last_activity_at: joined, last_app_version: '1.9.0', version }]);
        await wh.insert('issue_comments', [{
          project_id: projectId, comment_id: 'cmt_legacy000000000000000000', issue_id: issueId, author_type: 'user', author_name: 'alice@example.com',
          body: 'Fixed by the **cache** change', created_at: joined + 30_000, edited_at: null, deleted_at: null, version,
        }]);
      } finally {
        await wh.close();
      }
      await writeFile(join(dir, 'credentials.json'), JSON.stringify({ projectId, appId, clientKey, agentKey }, null, 2));

      const first = await spawnStrix({ STRIX_DATA_DIR: dir });
      try {
        assert.match(first.output(), /imported 1 projects, 1 apps, 3 keys and 1 digest recipients/);
        assert.match(first.output(), /copied 1 saved funnels from the warehouse/);
        const get = async (path: string, key = agentKey) => {
          const res = await fetch(`${first.url}${path}`, { headers: { authorization: `Bearer ${key}` } });
          return { status: res.status, body: (await res.json()) as Record<string, unknown> };
        };
        const project = await get('/v1/project');
        assert.equal(project.status, 200, JSON.stringify(project.body));
        assert.equal(project.body.name, 'Legacy shop');
        assert.equal(project.body.retention_events_days, 45);
        assert.equal(project.body.issue_alert_frequency, 'weekly');
        assert.deepEqual((await get('/v1/project/members')).body, { members: [{ email: 'alice@example.com', name: 'Alice', created_at: new Date(joined).toISOString() }] });
        // events:read became events, funnels and metrics read; project:admin became projects read and write.
        const funnels = await get('/v1/funnels');
        assert.deepEqual((funnels.body.funnels as { id: string }[]).map((f) => f.id), [funnelId], 'the live funnel, not the deleted one');
        // The copy in the control plane is what answers (checked there below): definition and times intact.
        assert.deepEqual((await get(`/v1/funnels/${funnelId}`)).body.funnel, {
          id: funnelId, name: 'Checkout', steps, mode: 'closed', window_seconds: 3600, strict_order: false, exclusions: [{ event: 'refund' }], by: 'user',
          created_at: new Date(joined).toISOString(), updated_at: new Date(joined).toISOString(),
        });
        assert.match(first.output(), /copied 1 issues, 1 fingerprint routes and 1 comments from the warehouse/);
        const issues = await get('/v1/issues?status=resolved');
        assert.deepEqual((issues.body.issues as { title: string; resolved_at_version: string }[]).map((i) => [i.title, i.resolved_at_version]), [['Legacy crash', '2.0.0']]);
        const detail = (await get(`/v1/issues/${issueId}`)).body as { issue: { status: string; occurrences: number }; comments: { body: string }[]; fingerprints: unknown[] };
        assert.deepEqual([detail.issue.status, detail.issue.occurrences, detail.comments.map((c) => c.body), detail.fingerprints.length], ['resolved', 1, ['Fixed by the **cache** change'], 1]);
        // Changed where it lives now, and the list (which reads the warehouse's copy) follows at once.
        const reopened = await fetch(`${first.url}/v1/issues/${issueId}`, {
          method: 'PATCH',
          headers: { authorization: `Bearer ${agentKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ status: 'new' }),
        });
        assert.equal(reopened.status, 200, await reopened.clone().text());
        assert.deepEqual(((await get('/v1/issues?status=new')).body.issues as { id: string }[]).map((i) => i.id), [issueId]);
        assert.equal((await get('/v1/metrics')).status, 200);

        const ingest = (key: string) =>
          fetch(`${first.url}/v1/ingest`, {
            method: 'POST',
            headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
            body: JSON.stringify({ events: [{ name: 'after_upgrade', level: 'info', message: 'still here' }] }),
          });
        assert.equal((await ingest(clientKey)).status, 200, 'an old client key, with its "-" and "_", keeps working');
        const revoked = await ingest(revokedKey);
        assert.equal(revoked.status, 401);
        assert.match(((await revoked.json()) as { message: string }).message, /revoked/);
      } finally {
        await kill(first, 'SIGTERM');
      }
      // Saved funnels live in the control plane now: the live one was copied there, the deleted one was not.
      const control = await openPglite(join(dir, 'control'));
      try {
        const rows = await control.query<{ id: string; deleted: boolean }>('SELECT id, deleted_at IS NOT NULL AS deleted FROM saved_funnels');
        assert.deepEqual(rows, [{ id: funnelId, deleted: false }]);
        assert.deepEqual(await control.query('SELECT issue_id, status FROM issues'), [{ issue_id: issueId, status: 'new' }]);
      } finally {
        await control.close();
      }

      const second = await spawnStrix({ STRIX_DATA_DIR: dir });
      try {
        assert.doesNotMatch(second.output(), /imported|copied/, 'the import and the copy of funnels run once');
        const res = await fetch(`${second.url}/v1/project`, { headers: { authorization: `Bearer ${agentKey}` } });
        assert.equal(res.status, 200);
      } finally {
        await kill(second, 'SIGTERM');
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
