// What the attachment suites share, embedded (fastify's inject) and on Temporal (HTTP to an api role): reservations and
// uploads, a project of their own, the quota edges, an upload cut half-way, and the files crashes leave for attachment_cleanup.
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdir, readdir, utimes, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DirectoryBlobStore } from '@strix/blobs';
import { attachmentBlobKey, createApp, createKey, createProject, systemActor, type ControlDb } from '@strix/control';

export const DAY = 24 * 3600_000;
export const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

export interface AttachmentJson {
  id: string;
  app_id: string;
  status: string;
  issue_id: string | null;
  size: number;
}

/** One answer of the API: fastify's inject gives this shape, and the HTTP suites build it. */
export interface ApiAnswer {
  statusCode: number;
  body: string;
  json<T = unknown>(): T;
}

/** Calls the API with `key` as bearer; a Buffer payload is sent as bytes, an object as JSON. */
export type ApiSend = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, key: string | undefined, payload?: object | Buffer) => Promise<ApiAnswer>;

/** Reserves an attachment of 64 random bytes for a new event, as an SDK does; `over` replaces fields. */
export function reserveAttachment(send: ApiSend, clientKey: string, over: Record<string, unknown> = {}): Promise<ApiAnswer> {
  const data = randomBytes(64);
  const body = { file_name: 'log.txt', size: data.length, sha256: sha256(data), content_type: 'text/plain', client_event_id: `evt-${randomUUID()}`, user_id: 'u', ...over };
  return send('POST', '/v1/ingest/attachment', clientKey, body);
}

/** Reserves and uploads `data`; returns the attachment's id. */
export async function storeAttachment(send: ApiSend, clientKey: string, data: Buffer, over: Record<string, unknown> = {}): Promise<string> {
  const res = await reserveAttachment(send, clientKey, { size: data.length, sha256: sha256(data), ...over });
  assert.equal(res.statusCode, 200, res.body);
  const { attachment, upload_url } = res.json<{ attachment: AttachmentJson; upload_url: string }>();
  const put = await send('PUT', upload_url, clientKey, data);
  assert.equal(put.statusCode, 200, put.body);
  assert.equal(put.json<{ attachment: AttachmentJson }>().attachment.status, 'uploaded');
  return attachment.id;
}

export interface TestProject {
  projectId: string;
  clientKey: string;
  agentKey: string;
}

/** A new project in the team of `beside`, with an app, a client key and an agent key, once the API accepts its keys. */
export async function addProject(db: ControlDb, send: ApiSend, beside: string, name: string): Promise<TestProject> {
  const [team] = await db.query<{ team_id: string }>('SELECT team_id FROM projects WHERE id = $1', [beside]);
  const system = systemActor('attachments test');
  const made = await db.transaction(async (tx) => {
    const project = await createProject(tx, team!.team_id, { name }, system);
    const app = await createApp(tx, project.id, { name: `${name} app`, platform: 'backend', bundle_id: null }, system);
    const client = await createKey(tx, project.id, { type: 'client', appId: app.id, name: `${name} client` }, system);
    const agent = await createKey(tx, project.id, { type: 'agent', appId: null, name: `${name} agent` }, system);
    return { projectId: project.id, clientKey: client.secret, agentKey: agent.secret };
  });
  // Keys reach the registry within its poll.
  for (let waited = 0; (await send('GET', '/v1/attachments?event_id=none', made.agentKey)).statusCode !== 200; waited += 100) {
    assert.ok(waited < 10_000, 'the new keys were never accepted');
    await sleep(100);
  }
  return made;
}

/**
 * Gives `project` quotas of 3000 bytes, 2000 per end user (in the control plane), then checks their edges, which
 * reservations meet before any byte is sent: the whole quota fits, one byte more is a 413 naming the quota. A deleted
 * attachment stops counting at once.
 */
export async function checkQuotaEdges(db: ControlDb, send: ApiSend, project: TestProject): Promise<void> {
  await db.query('UPDATE projects SET attachment_quota_bytes = 3000, attachment_user_quota_bytes = 2000 WHERE id = $1', [project.projectId]);
  const sha = 'a'.repeat(64);
  const at = (user: string, size: number) => reserveAttachment(send, project.clientKey, { user_id: user, size, sha256: sha, client_event_id: `q-${randomUUID()}` });

  assert.equal((await at('u1', 2000)).statusCode, 200, "the end user's whole quota");
  const userOver = await at('u1', 1);
  assert.equal(userOver.statusCode, 413, userOver.body);
  assert.deepEqual(userOver.json(), {
    error: 'user_quota_exhausted',
    message: "user_quota_exhausted: this end user's attachments use 2000 of 2000 bytes; 1 more would exceed the quota",
  });
  const second = await at('u2', 1000);
  assert.equal(second.statusCode, 200, 'the project at exactly its quota');
  const projectOver = await at('u3', 1);
  assert.equal(projectOver.statusCode, 413);
  assert.deepEqual(projectOver.json(), {
    error: 'quota_exhausted',
    message: "quota_exhausted: the project's attachments use 3000 of 3000 bytes; 1 more would exceed the quota",
  });
  const id = second.json<{ attachment: AttachmentJson }>().attachment.id;
  assert.equal((await send('DELETE', `/v1/attachments/${id}`, project.agentKey)).statusCode, 204);
  assert.equal((await at('u3', 1000)).statusCode, 200);
}

/**
 * Over HTTP at `baseUrl`, an 8 MiB upload whose client dies once 5 MiB are sent and part of them is on disk: nothing
 * of it stays under `blobDir` (the store's root), the reservation stays `reserved`, and the same reservation uploads.
 */
export async function checkCutUpload(send: ApiSend, at: { baseUrl: string; blobDir: string; clientKey: string; agentKey: string }): Promise<void> {
  const data = randomBytes(8 * 1024 * 1024);
  const res = await reserveAttachment(send, at.clientKey, { size: data.length, sha256: sha256(data) });
  assert.equal(res.statusCode, 200, res.body);
  const { attachment, upload_url } = res.json<{ attachment: AttachmentJson; upload_url: string }>();
  const folder = join(at.blobDir, 'attachments', attachment.id.slice(0, 2));

  const url = new URL(upload_url, at.baseUrl);
  const req = httpRequest(url, { method: 'PUT', headers: { authorization: `Bearer ${at.clientKey}`, 'content-length': data.length } });
  req.on('error', () => undefined);
  req.write(data.subarray(0, 5 * 1024 * 1024));
  // Until part of the body is on disk, in the upload's temporary file.
  for (let waited = 0; !(await readdir(folder).catch(() => [])).some((n) => n.startsWith(`.${attachment.id}`)); waited += 20) {
    assert.ok(waited < 20_000, 'the upload never reached the disk');
    await sleep(20);
  }
  req.destroy();
  for (let waited = 0; (await readdir(folder)).some((n) => n.includes(attachment.id)); waited += 20) {
    assert.ok(waited < 20_000, 'the cut upload left a file');
    await sleep(20);
  }
  const meta = await send('GET', `/v1/attachments/${attachment.id}`, at.agentKey);
  assert.equal(meta.json<{ attachment: AttachmentJson }>().attachment.status, 'reserved');
  const retried = await send('PUT', upload_url, at.clientKey, data);
  assert.equal(retried.statusCode, 200, retried.body);
}

/** The names of the files under `dir`, at any depth, sorted. */
export async function filesUnder(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name).sort();
}

/**
 * What crashes leave in the store: an interrupted upload's temporary file two days old, and a file whose row is
 * gone (written now). Returns the orphan's attachment id.
 */
export async function leaveCrashDebris(blobs: DirectoryBlobStore): Promise<{ orphan: string }> {
  const folder = join(blobs.root, 'attachments', 'ff');
  const stray = join(folder, `.${randomUUID()}.${randomUUID()}.upload`);
  await mkdir(folder, { recursive: true });
  await writeFile(stray, 'partial');
  await utimes(stray, new Date(Date.now() - 2 * DAY), new Date(Date.now() - 2 * DAY));
  const orphan = randomUUID();
  const body = Buffer.from('o');
  await blobs.put(attachmentBlobKey(orphan), (async function* () { yield body; })(), { size: 1, sha256: sha256(body) });
  return { orphan };
}

/** The summary of an attachment_cleanup run that found nothing to do. */
export const idleCleanup = { softDeletedEventGone: 0, purgedDeleted: 0, purgedNeverUploaded: 0, incompleteUploads: 0, orphanFiles: 0 };
