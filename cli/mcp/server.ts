/**
 * `strix mcp`: Strix's read and triage API as Model Context Protocol tools,
 * over stdio, with the agent key of the profile (or STRIX_URL/STRIX_KEY).
 * Tools answer the API's JSON as text; a refusal or an outage is a tool error
 * carrying the server's message, so the agent can correct its call.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult, ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import type { StrixClient } from '../client.ts';
import { ServerRefused, ServerUnavailable, UsageError, describeFailure } from '../failures.ts';
import { issueTools } from './issue-tools.ts';
import { readTools } from './read-tools.ts';
import type { ToolSpec } from './tool.ts';

const instructions = `Strix is this project's product analytics and error tracking. Its errors are grouped into issues.
Triage: list_issues (status new,regressed; sort occurrences), get_issue for the stack-derived grouping, occurrences and one
session's events, then comment_on_issue with findings, set_issue_status in_progress while working, resolve_issue with the
app version that ships the fix (a newer version's error then reopens it as regressed), snooze_issue or merge_issues.
Analytics: query_events, list_event_names, run_funnel, query_metric, audience, and run_sql for anything else
(read-only ClickHouse SQL on the project's tables; add a LIMIT). Times are ISO 8601 or epoch milliseconds.`;

function annotations(tool: ToolSpec): ToolAnnotations {
  return { title: tool.title, readOnlyHint: tool.readOnly, destructiveHint: tool.destructive ?? false, idempotentHint: tool.readOnly, openWorldHint: false };
}

async function answer(tool: ToolSpec, client: StrixClient, args: unknown): Promise<CallToolResult> {
  try {
    const result = await tool.call(client, args as never);
    return { content: [{ type: 'text', text: JSON.stringify(result ?? { ok: true }) }] };
  } catch (error) {
    // A usage error here is the profile's (SQL with a session): the agent is told, as it is told of a refusal.
    if (error instanceof ServerRefused || error instanceof ServerUnavailable || error instanceof UsageError) return { isError: true, content: [{ type: 'text', text: describeFailure(error) }] };
    throw error;
  }
}

export const allTools: readonly ToolSpec[] = [...readTools, ...issueTools];

export function createMcpServer(client: StrixClient): McpServer {
  const server = new McpServer({ name: 'strix', version: '1.0.0' }, { instructions });
  for (const tool of allTools) {
    server.registerTool(tool.name, { title: tool.title, description: tool.description, inputSchema: tool.input, annotations: annotations(tool) }, (args: unknown) => answer(tool, client, args));
  }
  return server;
}
