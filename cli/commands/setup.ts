/** Setting up around the CLI: shell completion, and the MCP server for coding agents. */
import type { CommandSpec } from '../command.ts';
import { Shells, completionScript, type Shell } from '../completion.ts';

export const setupCommands: CommandSpec[] = [
  {
    path: ['completion'],
    summary: 'Print a shell completion script (bash or zsh)',
    details: 'bash: add  source <(strix completion bash)  to ~/.bashrc.\nzsh: add  source <(strix completion zsh)  to ~/.zshrc after compinit, or save it as _strix in a folder of $fpath.',
    args: [{ name: 'shell', required: true, choices: Shells, description: Shells.join(' or ') }],
    async run(ctx) {
      ctx.io.stdout.write(completionScript(ctx.args.shell as Shell, ctx.commands));
    },
  },
  {
    path: ['mcp'],
    summary: "Serve Strix's read and triage API to a coding agent (Model Context Protocol over stdio)",
    details:
      'Runs until stdin closes, with the key of the profile (or STRIX_URL and STRIX_KEY). Tools: events, event names,\n' +
      'funnels, metrics, audience, SQL, and issues (list, read, comment, resolve, reopen, status, snooze, merge).\n' +
      'Register it with an agent as the command  npx strix mcp  (see the README for a config snippet).',
    remote: true,
    async run(ctx) {
      // Loaded here: the MCP SDK would slow every other command's start.
      const [{ StdioServerTransport }, { createMcpServer }] = await Promise.all([import('@modelcontextprotocol/sdk/server/stdio.js'), import('../mcp/server.ts')]);
      const server = createMcpServer(await ctx.client());
      const transport = new StdioServerTransport();
      const closed = new Promise<void>((resolve) => {
        transport.onclose = resolve;
        ctx.io.stdin.once('end', resolve);
      });
      await server.connect(transport);
      await closed;
      await server.close();
    },
  },
];
