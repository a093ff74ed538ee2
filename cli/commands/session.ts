/** Signing in with an agent key, and the saved profiles. */
import { z } from 'zod';
import { StrixClient } from '../client.ts';
import type { CommandSpec, Terminal } from '../command.ts';
import { UsageError } from '../failures.ts';
import { checkProfileName, defaultUrl } from '../profiles.ts';
import { promptHidden, readStdin } from '../input.ts';
import { text } from '../read-scope.ts';

/** What `GET /v1/me` says of a key (the fields the CLI uses). */
export const KeyIdentity = z.looseObject({
  type: z.literal('key'),
  key_type: z.string(),
  prefix: z.string(),
  project_id: z.string(),
  permissions: z.array(z.string()),
});

/** The key to sign in with: `--key`, else STRIX_KEY, else stdin (a pipe), else a prompt. */
async function keyToSignIn(io: Terminal, flag: string | undefined): Promise<string> {
  const key = flag ?? io.env.STRIX_KEY ?? (io.stdin.isTTY ? await promptHidden(io, 'Agent key: ') : await readStdin(io));
  const trimmed = key.trim();
  if (!trimmed) throw new UsageError('no key given: pass it on stdin, in STRIX_KEY, or with --key', 'login');
  return trimmed;
}

export const sessionCommands: CommandSpec[] = [
  {
    path: ['login'],
    summary: 'Sign in with an agent key and save it as a profile',
    details:
      'Checks the key against the server (GET /v1/me), then saves the URL and key in\n' +
      '$XDG_CONFIG_HOME/strix/profiles.json (or ~/.config/strix/), readable by you only (0600).\n' +
      'The key is read from --key, STRIX_KEY, stdin, or a prompt that does not echo it.\n' +
      'The first profile saved becomes the default; switch with strix profiles use NAME.',
    options: {
      url: { type: 'string', valueName: 'URL', description: `The server (default: STRIX_URL, the profile's, else ${defaultUrl})` },
      key: { type: 'string', valueName: 'KEY', description: 'The agent key (visible to other users of this machine: prefer stdin)' },
    },
    remote: true,
    examples: ['strix login --url https://strix.example.com < agent-key.txt', 'strix login --profile staging --url https://staging.example.com'],
    async run(ctx) {
      const name = await ctx.profiles.chosenName(text(ctx.options, 'profile'));
      const existing = (await ctx.profiles.read()).profiles[name];
      const url = text(ctx.options, 'url') ?? ctx.io.env.STRIX_URL ?? existing?.url ?? defaultUrl;
      if (!/^https?:\/\/[^\s/]/.test(url)) throw new UsageError(`--url ${JSON.stringify(url)}: must be an http:// or https:// URL`, 'login');
      const key = await keyToSignIn(ctx.io, text(ctx.options, 'key'));
      const client = new StrixClient({ url, key });
      const me = KeyIdentity.safeParse(await client.get('/v1/me'));
      if (!me.success) throw new UsageError('the server did not describe this key as an API key; sign in with an agent key', 'login');
      if (me.data.key_type !== 'agent') throw new UsageError(`that is a ${me.data.key_type} key (${me.data.prefix}…); the CLI reads with an agent key`, 'login');
      const { isDefault } = await ctx.profiles.save(name, { url: client.url, key, project_id: me.data.project_id, key_prefix: me.data.prefix, saved_at: new Date().toISOString() });
      ctx.io.stdout.write(
        `Signed in to ${client.url} with ${me.data.prefix}… (project ${me.data.project_id}); saved as profile ${name}${isDefault ? ' (the default)' : ''} in ${ctx.profiles.path}\n`,
      );
    },
  },
  {
    path: ['logout'],
    summary: 'Forget a saved profile and its key',
    args: [{ name: 'profile', description: 'The profile (default: the default profile)' }],
    async run(ctx) {
      const name = typeof ctx.args.profile === 'string' ? checkProfileName(ctx.args.profile) : await ctx.profiles.chosenName(undefined);
      await ctx.profiles.remove(name);
      ctx.io.stdout.write(`Removed profile ${name} from ${ctx.profiles.path}\n`);
    },
  },
  {
    path: ['profiles'],
    summary: 'List saved profiles (keys are shown by their prefix only)',
    output: true,
    async run(ctx) {
      const file = await ctx.profiles.read();
      const rows = Object.entries(file.profiles).map(([name, p]) => ({
        name,
        default: name === file.default,
        url: p.url,
        project_id: p.project_id ?? null,
        key_prefix: p.key_prefix ?? null,
        saved_at: p.saved_at ?? null,
      }));
      ctx.print({ rows, columns: [{ key: 'default', value: (r) => (r.default ? '*' : '') }, { key: 'name' }, { key: 'url' }, { key: 'project_id' }, { key: 'key_prefix' }] });
    },
  },
  {
    path: ['profiles', 'use'],
    summary: 'Make a saved profile the default',
    args: [{ name: 'profile', required: true, description: 'The profile' }],
    async run(ctx) {
      const name = checkProfileName(String(ctx.args.profile));
      await ctx.profiles.use(name);
      ctx.io.stdout.write(`Profile ${name} is now the default\n`);
    },
  },
];

