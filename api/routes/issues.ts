import { z } from 'zod';
import { ApiError, NoContent, errorResponses, parseBody, parseQuery, readScope, type ZodRoutes } from '@strix/http';
import { latestAppVersions } from '../latest-versions.ts';
import {
  CommentBody,
  CommentEditBody,
  CommentJson,
  IssueDetail,
  IssueDetailQuery,
  IssueJson,
  IssueList,
  IssueListQuery,
  MergeBody,
  ScanSummaryJson,
  StatusChangeBody,
  UnmergeBody,
  commentJson,
  issueDetailJson,
  issueJson,
  scanJson,
} from './issue-schemas.ts';

const read = { keyType: 'agent', permission: 'issues:read' } as const;
const write = { keyType: 'agent', permission: 'issues:write' } as const;
const tags = ['issues'];
const IdParams = z.object({ id: z.string().meta({ description: 'The issue id' }) });
const CommentParams = IdParams.extend({ commentId: z.string() });
const OneIssue = z.object({ issue: IssueJson });
const OneComment = z.object({ comment: CommentJson });

/**
 * Error tracking for agent keys: `issues:read` to list and look, `issues:write`
 * to change status, comment, merge, unmerge and scan. Refusals come back as
 * IssueErrors, which the app's error handler maps to 404/409/400.
 */
export const issueRoutes: ZodRoutes = async (app) => {
  app.get(
    '/v1/issues',
    { config: read, schema: { summary: 'Issues with their counts', tags, querystring: IssueListQuery, response: { 200: IssueList, ...errorResponses } } },
    async (request) => {
      const q = parseQuery(IssueListQuery, request.query);
      const scope = readScope(request.principal.projectId, q);
      const { issues, total } = await app.issues.list({
        projectId: scope.projectId,
        statuses: q.status,
        appId: scope.appId,
        isDev: scope.isDev,
        text: q.q,
        sort: q.sort,
        limit: q.limit,
        offset: q.offset,
      });
      const latest = await latestAppVersions(app, request.principal.projectId);
      return { issues: issues.map((i) => issueJson(i, i, latest)), total, limit: q.limit, offset: q.offset };
    },
  );

  // Registered before /v1/issues/:id so "scan" is never read as an id.
  app.post(
    '/v1/issues/scan',
    { config: write, schema: { summary: 'Run the project’s issue scan now', tags, response: { 200: ScanSummaryJson, ...errorResponses } } },
    async (request) => scanJson(await app.scanIssues(request.principal.projectId)),
  );

  app.get(
    '/v1/issues/:id',
    {
      config: read,
      schema: {
        summary: 'An issue with its fingerprints, occurrences, comments, one session’s events and its grouping explanation',
        tags,
        params: IdParams,
        querystring: IssueDetailQuery,
        response: { 200: IssueDetail, ...errorResponses },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const q = parseQuery(IssueDetailQuery, request.query);
      const detail = await app.issues.detail(request.principal.projectId, id, { occurrences: q.occurrences, sessionId: q.session_id });
      return issueDetailJson(detail, await latestAppVersions(app, request.principal.projectId));
    },
  );

  app.patch(
    '/v1/issues/:id',
    { config: write, schema: { summary: 'Change status, resolve in a version or snooze', tags, params: IdParams, body: StatusChangeBody, response: { 200: OneIssue, ...errorResponses } } },
    async (request) => {
      const { id } = request.params as { id: string };
      const body = parseBody(StatusChangeBody, request.body);
      const projectId = request.principal.projectId;
      const issue = await app.issues.changeStatus(projectId, id, { status: body.status, resolvedAtVersion: body.resolved_at_version, snoozedUntil: body.snoozed_until });
      return { issue: issueJson(issue, (await app.issues.get(projectId, id)).stats, await latestAppVersions(app, projectId)) };
    },
  );

  app.post(
    '/v1/issues/:id/merge',
    { config: write, schema: { summary: 'Merge other issues into this one', tags, params: IdParams, body: MergeBody, response: { 200: OneIssue, ...errorResponses } } },
    async (request) => {
      const { id } = request.params as { id: string };
      const body = parseBody(MergeBody, request.body);
      const projectId = request.principal.projectId;
      const target = await app.issues.merge(projectId, id, body.source_ids);
      return { issue: issueJson(target, (await app.issues.get(projectId, id)).stats, await latestAppVersions(app, projectId)) };
    },
  );

  app.post(
    '/v1/issues/:id/unmerge',
    { config: write, schema: { summary: 'Split one fingerprint off into a new issue', tags, params: IdParams, body: UnmergeBody, response: { 201: OneIssue, ...errorResponses } } },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      const body = parseBody(UnmergeBody, request.body);
      const projectId = request.principal.projectId;
      const split = await app.issues.unmerge(projectId, id, body.fingerprint);
      return reply.code(201).send({ issue: issueJson(split, (await app.issues.get(projectId, split.issue_id)).stats, await latestAppVersions(app, projectId)) });
    },
  );

  app.get(
    '/v1/issues/:id/comments',
    { config: read, schema: { summary: 'An issue’s comments', tags, params: IdParams, response: { 200: z.object({ comments: z.array(CommentJson) }), ...errorResponses } } },
    async (request) => {
      const { id } = request.params as { id: string };
      return { comments: (await app.issues.listComments(request.principal.projectId, id)).map(commentJson) };
    },
  );

  app.post(
    '/v1/issues/:id/comments',
    { config: write, schema: { summary: 'Comment on an issue', tags, params: IdParams, body: CommentBody, response: { 201: OneComment, ...errorResponses } } },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      const body = parseBody(CommentBody, request.body);
      // A signed-in person comments as themselves; agent keys act for tools (CLI, MCP), which may name the person they act for.
      const person = request.principal.user;
      if (person && body.author) throw new ApiError('bad_request', 'body field author: a signed-in person comments as themselves; send no author');
      const author = person ? { type: 'user' as const, name: person.email } : (body.author ?? { type: 'agent' as const, name: request.principal.keyPrefix ?? 'agent' });
      const comment = await app.issues.addComment(request.principal.projectId, id, author, body.body);
      return reply.code(201).send({ comment: commentJson(comment) });
    },
  );

  app.patch(
    '/v1/issues/:id/comments/:commentId',
    { config: write, schema: { summary: 'Edit a comment', tags, params: CommentParams, body: CommentEditBody, response: { 200: OneComment, ...errorResponses } } },
    async (request) => {
      const { id, commentId } = request.params as { id: string; commentId: string };
      const body = parseBody(CommentEditBody, request.body);
      return { comment: commentJson(await app.issues.editComment(request.principal.projectId, id, commentId, body.body)) };
    },
  );

  app.delete(
    '/v1/issues/:id/comments/:commentId',
    { config: write, schema: { summary: 'Delete a comment', tags, params: CommentParams, response: { 204: NoContent, ...errorResponses } } },
    async (request, reply) => {
      const { id, commentId } = request.params as { id: string; commentId: string };
      await app.issues.deleteComment(request.principal.projectId, id, commentId);
      return reply.code(204).send(null);
    },
  );
};
