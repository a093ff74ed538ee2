import type { FastifyPluginAsync } from 'fastify';
import type { ScanSummary } from '@strix/issues';
import { errorResponseSchema } from '@strix/http';
import { parseBody, parseQuery } from '@strix/http';
import { eventJson, eventSchema } from './events.ts';
import {
  CommentBody,
  CommentEditBody,
  IssueDetailQuery,
  IssueListQuery,
  MergeBody,
  StatusChangeBody,
  UnmergeBody,
  commentJson,
  commentSchema,
  fingerprintJson,
  fingerprintSchema,
  issueJson,
  issueSchema,
  occurrenceJson,
  occurrenceSchema,
  scanSummarySchema,
} from './issue-schemas.ts';

const errors = { '4xx': errorResponseSchema, '5xx': errorResponseSchema };
const read = { keyType: 'agent', permission: 'issues:read' } as const;
const write = { keyType: 'agent', permission: 'issues:write' } as const;
const idParams = { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] } as const;
const commentParams = { type: 'object', properties: { id: { type: 'string' }, commentId: { type: 'string' } }, required: ['id', 'commentId'] } as const;
const one = (key: string, schema: object) => ({ type: 'object', properties: { [key]: schema }, required: [key] });

const listResponse = {
  type: 'object',
  properties: { issues: { type: 'array', items: issueSchema }, total: { type: 'integer' }, limit: { type: 'integer' }, offset: { type: 'integer' } },
  required: ['issues', 'total'],
} as const;

const detailResponse = {
  type: 'object',
  properties: {
    issue: issueSchema,
    fingerprints: { type: 'array', items: fingerprintSchema },
    occurrences: { type: 'array', items: occurrenceSchema },
    comments: { type: 'array', items: commentSchema },
    session: { type: 'object', properties: { session_id: { type: ['string', 'null'] }, events: { type: 'array', items: eventSchema } } },
  },
  required: ['issue', 'occurrences', 'session'],
} as const;

const issueResponse = one('issue', issueSchema);
const commentResponse = one('comment', commentSchema);
const commentsResponse = one('comments', { type: 'array', items: commentSchema });

function scanJson(s: ScanSummary) {
  return {
    project_id: s.projectId,
    window: { from: new Date(s.from).toISOString(), to: new Date(s.to).toISOString() },
    errors: s.errors,
    fingerprints: s.fingerprints,
    created: s.created.map((c) => ({ id: c.issue_id, title: c.title })),
    updated: s.updated,
    regressed: s.regressed.map((r) => ({ id: r.issue_id, version: r.version })),
    new_occurrences: s.newOccurrences,
  };
}

/**
 * Error tracking for agent keys: `issues:read` to list and look, `issues:write`
 * to change status, comment, merge, unmerge and scan. Refusals come back as
 * IssueErrors, which the app's error handler maps to 404/409/400.
 */
export const issueRoutes: FastifyPluginAsync = async (app) => {
  app.get('/v1/issues', { config: read, schema: { response: { 200: listResponse, ...errors } } }, async (request) => {
    const q = parseQuery(IssueListQuery, request.query);
    const { issues, total } = await app.issues.list({
      projectId: request.principal.projectId,
      statuses: q.status,
      appId: q.app_id,
      isDev: q.is_dev === 'true',
      text: q.q,
      sort: q.sort,
      limit: q.limit,
      offset: q.offset,
    });
    return { issues: issues.map((i) => issueJson(i, i)), total, limit: q.limit, offset: q.offset };
  });

  // Registered before /v1/issues/:id so "scan" is never read as an id.
  app.post('/v1/issues/scan', { config: write, schema: { response: { 200: scanSummarySchema, ...errors } } }, async (request) =>
    scanJson(await app.scanIssues(request.principal.projectId)),
  );

  app.get('/v1/issues/:id', { config: read, schema: { params: idParams, response: { 200: detailResponse, ...errors } } }, async (request) => {
    const { id } = request.params as { id: string };
    const q = parseQuery(IssueDetailQuery, request.query);
    const d = await app.issues.detail(request.principal.projectId, id, { occurrences: q.occurrences, sessionId: q.session_id });
    return {
      issue: issueJson(d.issue, d.stats),
      fingerprints: d.fingerprints.map(fingerprintJson),
      occurrences: d.occurrences.map(occurrenceJson),
      comments: d.comments.map(commentJson),
      session: { session_id: d.session.session_id, events: d.session.events.map(eventJson) },
    };
  });

  app.patch('/v1/issues/:id', { config: write, schema: { params: idParams, response: { 200: issueResponse, ...errors } } }, async (request) => {
    const { id } = request.params as { id: string };
    const body = parseBody(StatusChangeBody, request.body);
    const projectId = request.principal.projectId;
    const issue = await app.issues.changeStatus(projectId, id, { status: body.status, resolvedAtVersion: body.resolved_at_version, snoozedUntil: body.snoozed_until });
    return { issue: issueJson(issue, (await app.issues.get(projectId, id)).stats) };
  });

  app.post('/v1/issues/:id/merge', { config: write, schema: { params: idParams, response: { 200: issueResponse, ...errors } } }, async (request) => {
    const { id } = request.params as { id: string };
    const body = parseBody(MergeBody, request.body);
    const projectId = request.principal.projectId;
    const target = await app.issues.merge(projectId, id, body.source_ids);
    return { issue: issueJson(target, (await app.issues.get(projectId, id)).stats) };
  });

  app.post('/v1/issues/:id/unmerge', { config: write, schema: { params: idParams, response: { 201: issueResponse, ...errors } } }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const body = parseBody(UnmergeBody, request.body);
    const projectId = request.principal.projectId;
    const split = await app.issues.unmerge(projectId, id, body.fingerprint);
    return reply.code(201).send({ issue: issueJson(split, (await app.issues.get(projectId, split.issue_id)).stats) });
  });

  app.get('/v1/issues/:id/comments', { config: read, schema: { params: idParams, response: { 200: commentsResponse, ...errors } } }, async (request) => {
    const { id } = request.params as { id: string };
    return { comments: (await app.issues.listComments(request.principal.projectId, id)).map(commentJson) };
  });

  app.post('/v1/issues/:id/comments', { config: write, schema: { params: idParams, response: { 201: commentResponse, ...errors } } }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const body = parseBody(CommentBody, request.body);
    // Agent keys act for tools (CLI, MCP) by default; a dashboard acting for a person names them.
    const author = body.author ?? { type: 'agent' as const, name: request.principal.keyPrefix ?? 'agent' };
    const comment = await app.issues.addComment(request.principal.projectId, id, author, body.body);
    return reply.code(201).send({ comment: commentJson(comment) });
  });

  app.patch('/v1/issues/:id/comments/:commentId', { config: write, schema: { params: commentParams, response: { 200: commentResponse, ...errors } } }, async (request) => {
    const { id, commentId } = request.params as { id: string; commentId: string };
    const body = parseBody(CommentEditBody, request.body);
    return { comment: commentJson(await app.issues.editComment(request.principal.projectId, id, commentId, body.body)) };
  });

  app.delete('/v1/issues/:id/comments/:commentId', { config: write, schema: { params: commentParams, response: { 204: { type: 'null' }, ...errors } } }, async (request, reply) => {
    const { id, commentId } = request.params as { id: string; commentId: string };
    await app.issues.deleteComment(request.principal.projectId, id, commentId);
    return reply.code(204).send();
  });
};
