/**
 * Attachments through a whole embedded Strix: reservations against quotas at
 * their exact edges, streamed uploads (a wrong body, a socket killed half way),
 * project isolation, signed downloads and their headers, the link to an issue
 * made by the scan, and `attachment_cleanup` on the in-process scheduler.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { signDownloadToken } from '@strix/blobs';
import { deriveSecret } from '@strix/control';
import { DirectoryBlobStore } from '@strix/blobs';
import { EmbeddedScheduler, createActivities } from '@strix/workflows';
import { event, ingest, startHarness, type Harness } from '@strix/testkit/harness';
import {
  DAY,
  addProject,
  checkCutUpload,
  checkQuotaEdges,
  filesUnder,
  idleCleanup,
  leaveCrashDebris,
  reserveAttachment,
  sha256,
  storeAttachment,
  type AttachmentJson,
  type TestProject,
} from './attachments.fixture.ts';

const secretHex = 'ab'.repeat(32);

describe('embedded Strix: attachments', { timeout: 180_000 }, () => {
  let h: Harness;
  let other: TestProject;
  before(async () => {
    h = await startHarness({ STRIX_SECRET_KEY: secretHex });
    other = await addProject(h.strix.control!.db, inject, h.credentials.projectId, 'Other project');
  });
  after(async () => h?.close());

  const inject = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, key: string | undefined, payload?: object | Buffer) =>
    h.strix.app.inject({
      method,
      url,
      headers: { ...(key && { authorization: `Bearer ${key}` }), ...(Buffer.isBuffer(payload) && { 'content-type': 'application/octet-stream' }) },
      ...(payload && { payload }),
    });
  const list = (query: string, key = h.credentials.agentKey) => inject('GET', `/v1/attachments?${query}`, key);

  const reserve = (over: Record<string, unknown>, key = h.credentials.clientKey) => reserveAttachment(inject, key, over);
  const stored = (data: Buffer, over: Record<string, unknown> = {}) => storeAttachment(inject, h.credentials.clientKey, data, over);
  const blobDir = () => join(h.dir, 'attachments');

  it('refuses a reservation naming the field and the limit', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ size: 0 }, /^body field size: must be at least 1 byte$/],
      [{ size: 100 * 1024 * 1024 + 1 }, /^body field size: must be at most 104857600 bytes \(100 MiB\)$/],
      [{ sha256: 'abc' }, /^body field sha256: must be the SHA-256 of the file as 64 hex digits$/],
      [{ file_name: 'x'.repeat(256) }, /^body field file_name: must be at most 255 characters$/],
      [{ file_name: '' }, /^body field file_name: is required$/],
      [{ client_event_id: undefined }, /^body field client_event_id: is required$/],
    ];
    for (const [over, message] of cases) {
      const res = await reserve(over);
      assert.equal(res.statusCode, 400, res.body);
      assert.match(res.json<{ message: string }>().message, message);
    }
    assert.equal((await reserve({}, h.credentials.agentKey)).statusCode, 403, 'an agent key cannot upload');
  });

  it("checks the end user's and the project's quotas before any byte: exactly the limit fits, one byte over is a 413", async () => {
    await checkQuotaEdges(h.strix.control!.db, inject, other);
  });

  it('streams an upload, verifying size and SHA-256; a wrong body stores nothing and the reservation stays uploadable; a second upload is 409', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 17);
    const res = await reserve({ size: data.length, sha256: sha256(data), file_name: 'dump.bin' });
    const { attachment, upload_url } = res.json<{ attachment: AttachmentJson; upload_url: string }>();
    assert.equal(attachment.status, 'reserved');
    assert.equal(upload_url, `/v1/ingest/attachment/${attachment.id}`);

    const wrong = Buffer.from(data);
    wrong[12345] = (wrong[12345] ?? 0) ^ 1;
    const bad = await inject('PUT', upload_url, h.credentials.clientKey, wrong);
    assert.equal(bad.statusCode, 400, bad.body);
    assert.match(bad.json<{ message: string }>().message, new RegExp(`^body: its SHA-256 is ${sha256(wrong)}, ${sha256(data)} declared$`));
    const short = await inject('PUT', upload_url, h.credentials.clientKey, data.subarray(1));
    assert.equal(short.statusCode, 400);
    assert.match(short.json<{ message: string }>().message, /^body: 3145744 bytes received, 3145745 declared$/);
    const long = await inject('PUT', upload_url, h.credentials.clientKey, Buffer.concat([data, Buffer.from('!')]));
    assert.equal(long.statusCode, 413, long.body);
    assert.equal((await filesUnder(blobDir())).filter((f) => f.includes(attachment.id)).length, 0, 'nothing stored of a refused body');

    assert.equal((await inject('PUT', upload_url, other.clientKey, data)).statusCode, 404, "another project's key");
    const ok = await inject('PUT', upload_url, h.credentials.clientKey, data);
    assert.equal(ok.statusCode, 200, ok.body);
    const again = await inject('PUT', upload_url, h.credentials.clientKey, data);
    assert.equal(again.statusCode, 409);
    assert.equal(again.json<{ message: string }>().message, `attachment ${attachment.id} is already uploaded`);
  });

  it('keeps nothing of an upload whose client dies half way, and takes the same reservation again', async () => {
    await h.strix.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = h.strix.app.server.address() as AddressInfo;
    await checkCutUpload(inject, { baseUrl: `http://127.0.0.1:${port}`, blobDir: blobDir(), clientKey: h.credentials.clientKey, agentKey: h.credentials.agentKey });
  });

  it('downloads through a short-lived signed URL, with safe headers; an expired or altered token is a 403 saying why', async () => {
    const data = Buffer.from('<html><script>alert(1)</script></html>');
    const id = await stored(data, { file_name: 'rapport "été"/x.html', content_type: 'text/html' });
    const meta = await inject('GET', `/v1/attachments/${id}`, h.credentials.agentKey);
    assert.equal(meta.statusCode, 200, meta.body);
    const { download_url, download_expires_at } = meta.json<{ download_url: string; download_expires_at: string }>();
    assert.ok(Date.parse(download_expires_at) - Date.now() <= 5 * 60_000);

    const file = await inject('GET', download_url, undefined);
    assert.equal(file.statusCode, 200, file.body);
    assert.deepEqual(file.rawPayload, data);
    assert.equal(file.headers['content-type'], 'application/octet-stream', 'HTML is never served as HTML');
    assert.equal(file.headers['x-content-type-options'], 'nosniff');
    assert.equal(file.headers['content-disposition'], `attachment; filename="rapport __t___x.html"; filename*=UTF-8''rapport%20%22%C3%A9t%C3%A9%22_x.html`);
    assert.equal(file.headers['content-length'], String(data.length));

    const png = await stored(Buffer.from('png bytes'), { file_name: 'shot.png', content_type: 'image/png' });
    const pngUrl = (await inject('GET', `/v1/attachments/${png}`, h.credentials.agentKey)).json<{ download_url: string }>().download_url;
    assert.equal((await inject('GET', pngUrl, undefined)).headers['content-type'], 'image/png');

    const secret = deriveSecret(Buffer.from(secretHex, 'hex'), 'attachment downloads');
    const expired = signDownloadToken(secret, { projectId: h.credentials.projectId, attachmentId: id }, { nowMs: Date.now() - 10 * 60_000 });
    const late = await inject('GET', `/v1/attachments/${id}/download?token=${expired.token}`, undefined);
    assert.equal(late.statusCode, 403);
    assert.match(late.json<{ message: string }>().message, /^token: has expired; ask GET \/v1\/attachments\/.+ for a new download_url$/);
    const token = new URL(download_url, 'http://x').searchParams.get('token')!;
    const altered = `${token.slice(0, -2)}${token.endsWith('AA') ? 'AB' : 'AA'}`;
    const tampered = await inject('GET', `/v1/attachments/${id}/download?token=${altered}`, undefined);
    assert.equal(tampered.statusCode, 403);
    assert.match(tampered.json<{ message: string }>().message, /^token: (was altered or not signed by this server|is malformed);/);
    const forOther = await inject('GET', `/v1/attachments/${png}/download?token=${token}`, undefined);
    assert.equal(forOther.statusCode, 403);
    assert.match(forOther.json<{ message: string }>().message, /^token: is for another attachment;/);
  });

  it("hides a project's attachments from another project's keys (404, never listed)", async () => {
    const eventId = `iso-${randomUUID()}`;
    const id = await stored(Buffer.from('mine'), { client_event_id: eventId });
    assert.equal((await inject('GET', `/v1/attachments/${id}`, other.agentKey)).statusCode, 404);
    assert.equal((await inject('DELETE', `/v1/attachments/${id}`, other.agentKey)).statusCode, 404);
    assert.deepEqual((await list(`event_id=${eventId}`, other.agentKey)).json(), { attachments: [] });
    assert.deepEqual((await list(`event_id=${eventId}`)).json<{ attachments: AttachmentJson[] }>().attachments.map((a) => a.id), [id]);
    assert.equal((await list(`event_id=${eventId}&issue_id=x`)).statusCode, 400);
    assert.equal((await inject('GET', `/v1/attachments/${id}`, h.credentials.clientKey)).statusCode, 403, 'a client key cannot read');
  });

  let issueLinked: string;
  let eventKept: string;
  it("links an error's attachment to its issue in the scan after the event is stored", async () => {
    const errorEvent = event({ level: 'error', message: 'attachments test crash', source_module: 'attachmod', name: undefined });
    const infoEvent = event({ level: 'info' });
    // The attachment first, its event after: the link holds whichever comes first.
    issueLinked = await stored(Buffer.from('crash log'), { client_event_id: errorEvent.client_event_id });
    eventKept = await stored(Buffer.from('info log'), { client_event_id: infoEvent.client_event_id });
    assert.equal((await ingest(h, { events: [errorEvent, infoEvent] })).statusCode, 200);
    await h.strix.drained();

    const scan = await inject('POST', '/v1/jobs/issue_scan', h.credentials.agentKey, {});
    assert.equal(scan.statusCode, 202, scan.body);
    const runId = scan.json<{ run: { id: string } }>().run.id;
    for (let waited = 0; ; waited += 50) {
      const run = (await inject('GET', `/v1/jobs/${runId}`, h.credentials.agentKey)).json<{ run: { status: string; error: string } }>().run;
      if (run.status !== 'pending' && run.status !== 'running') {
        assert.equal(run.status, 'completed', run.error);
        break;
      }
      assert.ok(waited < 30_000, 'the scan did not end');
      await sleep(50);
    }
    const linked = (await inject('GET', `/v1/attachments/${issueLinked}`, h.credentials.agentKey)).json<{ attachment: AttachmentJson }>().attachment;
    assert.ok(linked.issue_id, 'the error attachment belongs to its issue');
    const issue = await inject('GET', `/v1/issues/${linked.issue_id}`, h.credentials.agentKey);
    assert.equal(issue.statusCode, 200, issue.body);
    assert.deepEqual((await list(`issue_id=${linked.issue_id}`)).json<{ attachments: AttachmentJson[] }>().attachments.map((a) => a.id), [issueLinked]);
    assert.equal((await inject('GET', `/v1/attachments/${eventKept}`, h.credentials.agentKey)).json<{ attachment: AttachmentJson }>().attachment.issue_id, null);
  });

  it('attachment_cleanup on the embedded scheduler purges deleted, never uploaded, event-less and orphaned files, keeps the rest, and is idempotent', async () => {
    const control = h.strix.control!;
    const deleted = await stored(Buffer.from('deleted soon'));
    assert.equal((await inject('DELETE', `/v1/attachments/${deleted}`, h.credentials.agentKey)).statusCode, 204);
    const neverUploaded = (await reserve({})).json<{ attachment: AttachmentJson }>().attachment.id;
    const eventless = await stored(Buffer.from('its event never came'));
    const blobs = await DirectoryBlobStore.open(blobDir());
    const { orphan } = await leaveCrashDebris(blobs);

    let clock = Date.now() + 2 * DAY;
    const runs = control.jobRuns();
    const scheduler = new EmbeddedScheduler({ runs, activities: createActivities({ warehouse: h.strix.warehouse, directory: control, blobs, now: () => clock }), jobs: [] });
    const run = async () => {
      const id = randomUUID();
      const opened = await runs.open({ id, job: 'attachment_cleanup', project_id: null, trigger: 'manual', params: {}, triggered_by: null, notify: false, scheduled_at: clock }, 'pending', clock);
      assert.ok('run' in opened);
      await scheduler.runTriggered(id);
      const ended = await runs.get(id);
      assert.equal(ended?.status, 'completed', ended?.error);
      return ended?.summary ?? {};
    };
    const live = async () => new Set((await control.db.query<{ id: string }>('SELECT id FROM attachments WHERE deleted_at IS NULL')).map((r) => r.id));

    const first = await run();
    assert.ok(Number(first.softDeletedEventGone) >= 1, JSON.stringify(first));
    assert.ok(Number(first.purgedNeverUploaded) >= 1, JSON.stringify(first));
    assert.equal(first.incompleteUploads, 1);
    assert.equal(first.orphanFiles, 1);
    const afterFirst = await live();
    assert.ok(!afterFirst.has(eventless) && !afterFirst.has(neverUploaded));
    assert.ok(afterFirst.has(issueLinked) && afterFirst.has(eventKept), 'an attachment of an issue, or of a stored event, stays');
    assert.equal((await control.db.query('SELECT 1 FROM attachments WHERE id = $1', [deleted])).length, 1, 'deleted 2 days ago: kept for its grace');

    clock += 8 * DAY;
    const second = await run();
    assert.ok(Number(second.purgedDeleted) >= 2, 'the deleted one and the event-less one, a week after their deletion');
    const rows = new Set((await control.db.query<{ id: string }>('SELECT id FROM attachments')).map((r) => r.id));
    for (const gone of [deleted, eventless, neverUploaded]) assert.ok(!rows.has(gone), `${gone} purged`);
    const files = await filesUnder(blobDir());
    for (const gone of [deleted, eventless, orphan]) assert.ok(!files.includes(gone), `the file of ${gone} deleted`);
    assert.ok(files.includes(issueLinked) && files.includes(eventKept));
    assert.ok(!files.some((f) => f.endsWith('.upload')));

    const third = await run();
    assert.deepEqual(third, idleCleanup);
    await scheduler.stop();
  });
});
