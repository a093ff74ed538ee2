/** `@strix/cli` as a library: the client the CLI and the MCP server use, and the CLI itself. */
export { StrixClient, type StrixClientOptions } from './client.ts';
export { ExitCodes, JobEnded, ServerRefused, ServerUnavailable, UsageError } from './failures.ts';
export { createMcpServer } from './mcp/server.ts';
export { runCli } from './run.ts';
export { commands, groupSummaries } from './commands/index.ts';
