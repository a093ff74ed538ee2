/**
 * The command table in-process: every command's --help, group help, and the
 * usage errors the parser reports before anything is sent.
 */
import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { commands, groupSummaries } from './commands/index.ts';
import { runCli } from './run.ts';

async function run(argv: string[], env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const out = new PassThrough().setEncoding('utf8').on('data', (d: string) => (stdout += d));
  const err = new PassThrough().setEncoding('utf8').on('data', (d: string) => (stderr += d));
  // No profile file: a folder that does not exist.
  const code = await runCli(argv, { stdout: out, stderr: err, stdin: Readable.from([]), env: { XDG_CONFIG_HOME: '/nonexistent/strix-test', ...env } }, { commands, groups: groupSummaries });
  return { code, stdout, stderr };
}

describe('strix command table', () => {
  it('answers --help for every command, with its usage, options and exit 0', async () => {
    for (const spec of commands) {
      const help = await run([...spec.path, '--help']);
      assert.equal(help.code, 0, spec.path.join(' '));
      assert.match(help.stdout, new RegExp(`^Usage: strix ${spec.path.join(' ')}\\b`));
      assert.match(help.stdout, /--help/);
      if (spec.output) assert.match(help.stdout, /-f, --format FORMAT +Output: table, json, csv/);
      assert.equal((await run(['help', ...spec.path])).stdout, help.stdout, '`strix help <command>` is the same');
    }
  });

  it('shows a group’s commands: on stdout with --help, else on stderr with exit 2', async () => {
    const asked = await run(['issues', '--help']);
    assert.equal(asked.code, 0);
    assert.match(asked.stdout, /^Usage: strix issues <command>[\s\S]*\n {2}resolve +Mark an issue resolved/);
    const bare = await run(['issues']);
    assert.equal(bare.code, 2);
    assert.equal(bare.stdout, '');
    assert.equal(bare.stderr, asked.stdout);
    assert.equal((await run([])).code, 2);
    assert.match((await run(['--help'])).stdout, /^Usage: strix <command>[\s\S]*\n {2}sql +Run SQL/);
  });

  it('refuses what it can check itself with exit 2, naming the option and the help to read', async () => {
    const cases: [string[], RegExp][] = [
      [['events', 'list', '--limit', 'ten'], /--limit "ten": must be a whole number from 1 to 1000000/],
      [['events', 'list', '--level', 'loud'], /--level "loud": must be one of debug, info, warn, error/],
      [['issues', 'merge', 'iss_1'], /missing SOURCES/],
      [['issues', 'show', 'a', 'b'], /unexpected argument "b"/],
      [['audience', 'weekly'], /VIEW "weekly": must be one of active, screens, live/],
      [['completion', 'fish'], /SHELL "fish": must be one of bash, zsh/],
      [['funnels', 'run', 'f1', '--breakdown', 'country'], /--breakdown "country": expected experiment:NAME/],
      [['jobs', 'trigger', 'issue_scan', '--param', 'nothing'], /--param "nothing": expected name=value/],
      [['events', 'tail', '--interval', '0'], /--interval "0": must be a number of seconds/],
      [['projects', '--profile', '../etc'], /--profile "..\/etc": use 1 to 64 letters/],
      [['projects'], /not signed in: run strix login/],
    ];
    for (const [argv, message] of cases) {
      const result = await run(argv, argv[0] === 'projects' ? {} : { STRIX_URL: 'http://127.0.0.1:9', STRIX_KEY: 'strix_agent_x' });
      assert.equal(result.code, 2, `${argv.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, message, argv.join(' '));
      assert.match(result.stderr, /Run 'strix .*--help' for usage\./);
    }
  });
});
