/** Signing in with an agent key or by an emailed code, and the saved profiles. */
import { z } from 'zod';
import { StrixClient, type Credential } from '../client.ts';
import type { CommandSpec, Context, Terminal } from '../command.ts';
import { ServerRefused, UsageError, describeFailure, isFailure } from '../failures.ts';
import { checkProfileName, credentialOf, defaultUrl, isSessionProfile, type Profile } from '../profiles.ts';
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

/** What `GET /v1/me` says of a session: the person's teams and their projects. */
const SessionIdentity = z.looseObject({
  type: z.literal('session'),
  teams: z.array(z.looseObject({ name: z.string(), projects: z.array(z.looseObject({ id: z.string(), name: z.string() })) })),
});

interface ProjectChoice {
  id: string;
  name: string;
  team: string;
}

/** The key to sign in with: `--key`, else STRIX_KEY, else stdin (a pipe), else a prompt. */
async function keyToSignIn(io: Terminal, flag: string | undefined): Promise<string> {
  const key = flag ?? io.env.STRIX_KEY ?? (io.stdin.isTTY ? await promptHidden(io, 'Agent key: ') : await readStdin(io));
  const trimmed = key.trim();
  if (!trimmed) throw new UsageError('no key given: pass it on stdin, in STRIX_KEY, or with --key', 'login');
  return trimmed;
}

/** The mailed code: a prompt that does not echo it, else stdin (a pipe). Spaces a mail client adds are dropped. */
async function codeToSignIn(io: Terminal): Promise<string> {
  const code = (io.stdin.isTTY ? await promptHidden(io, 'Code from the mail: ') : await readStdin(io)).replace(/\s+/g, '');
  if (!code) throw new UsageError('no code given: type it at the prompt, or pipe it on stdin', 'login');
  if (!/^\d{6}$/.test(code)) throw new UsageError('the code is the 6 digits of the sign-in mail; run strix login --email again for a new one', 'login');
  return code;
}

type SignOut = { outcome: 'ended' } | { outcome: 'already-ended' } | { outcome: 'failed'; reason: string };

/** Ends a session on its server (POST /v1/auth/sign-out); an unreachable server is reported, not thrown. */
async function endSession(url: string, session: Credential): Promise<SignOut> {
  try {
    await new StrixClient({ url, key: session, retries: 0, timeoutMs: 15_000 }).post('/v1/auth/sign-out');
    return { outcome: 'ended' };
  } catch (error) {
    if (error instanceof ServerRefused && error.status === 401) return { outcome: 'already-ended' };
    if (isFailure(error)) return { outcome: 'failed', reason: describeFailure(error) };
    throw error;
  }
}

/** `--project`, else the project the profile had, else the only one; a usage error listing them otherwise. */
function chooseProject(projects: readonly ProjectChoice[], flag: string | undefined, previous: string | undefined, email: string): ProjectChoice {
  const list = () => projects.map((p) => `  ${p.id}  ${p.name} (team ${p.team})`).join('\n');
  if (projects.length === 0) throw new UsageError(`${email} is in no team with a project yet: ask an admin of a team to invite you`, 'login');
  if (flag !== undefined) {
    const chosen = projects.find((p) => p.id === flag);
    if (!chosen) throw new UsageError(`--project ${JSON.stringify(flag)}: not one of your projects, which are:\n${list()}`, 'login');
    return chosen;
  }
  const only = projects.length === 1 ? projects[0] : projects.find((p) => p.id === previous);
  if (!only) throw new UsageError(`you are in ${projects.length} projects: choose one with --project ID:\n${list()}`, 'login');
  return only;
}

async function loginWithKey(ctx: Context, name: string, url: string): Promise<void> {
  if (text(ctx.options, 'project') !== undefined) throw new UsageError('--project goes with --email: an agent key belongs to one project', 'login');
  const key = await keyToSignIn(ctx.io, text(ctx.options, 'key'));
  const client = new StrixClient({ url, key });
  const me = KeyIdentity.safeParse(await client.get('/v1/me'));
  if (!me.success) throw new UsageError('the server did not describe this key as an API key; sign in with an agent key', 'login');
  if (me.data.key_type !== 'agent') throw new UsageError(`that is a ${me.data.key_type} key (${me.data.prefix}…); the CLI reads with an agent key`, 'login');
  const { isDefault } = await ctx.profiles.save(name, { url: client.url, key, project_id: me.data.project_id, key_prefix: me.data.prefix, saved_at: new Date().toISOString() });
  ctx.io.stdout.write(
    `Signed in to ${client.url} with ${me.data.prefix}… (project ${me.data.project_id}); saved as profile ${name}${isDefault ? ' (the default)' : ''} in ${ctx.profiles.path}\n`,
  );
}

async function loginWithEmail(ctx: Context, name: string, url: string, email: string, existing: Profile | undefined): Promise<void> {
  if (text(ctx.options, 'key') !== undefined) throw new UsageError('--key and --email: sign in with one of them', 'login');
  const anonymous = new StrixClient({ url });
  const sent = await anonymous.post<{ message?: string; expires_at?: string }>('/v1/auth/send-code', { email });
  // The server's own words: it answers the same for every address, known or not.
  ctx.io.stderr.write(`${sent.message ?? `a sign-in code is mailed to ${email}`}${sent.expires_at ? `; the code works until ${sent.expires_at}` : ''}.\n`);
  const { session } = await anonymous.signInByCode(email, await codeToSignIn(ctx.io));
  let project: ProjectChoice;
  try {
    const me = SessionIdentity.safeParse(await new StrixClient({ url, key: session }).get('/v1/me'));
    if (!me.success) throw new UsageError(`the server did not describe the sign-in of ${email} as a session`, 'login');
    const projects = me.data.teams.flatMap((team) => team.projects.map((p) => ({ id: p.id, name: p.name, team: team.name })));
    project = chooseProject(projects, text(ctx.options, 'project'), existing?.project_id, email);
  } catch (error) {
    // Nothing will hold this session: end it rather than leave it live for its lifetime.
    await endSession(url, session);
    throw error;
  }
  const { isDefault } = await ctx.profiles.save(name, {
    url: anonymous.url,
    email,
    session_token: session.token,
    csrf_token: session.csrf,
    expires_at: session.expiresAt,
    project_id: project.id,
    saved_at: new Date().toISOString(),
  });
  // The session this profile held is replaced: end it too (best effort; it expires on its own otherwise).
  if (existing && isSessionProfile(existing) && existing.session_token !== session.token) await endSession(existing.url, credentialOf(existing));
  ctx.io.stdout.write(
    `Signed in to ${anonymous.url} as ${email}, on project ${project.name} (${project.id}); saved as profile ${name}${isDefault ? ' (the default)' : ''} in ${ctx.profiles.path}\n` +
      `This is a session, not a key: it lasts until ${session.expiresAt}, longer as it is used; strix logout${isDefault ? '' : ` ${name}`} ends it.\n`,
  );
}

export const sessionCommands: CommandSpec[] = [
  {
    path: ['login'],
    summary: 'Sign in with an agent key, or by a code mailed to you, and save it as a profile',
    details:
      'With a key: checks it against the server (GET /v1/me), then saves the URL and key. The key is read from\n' +
      '--key, STRIX_KEY, stdin, or a prompt that does not echo it.\n' +
      'With --email: the server mails a 6-digit code; type it at the prompt (it does not echo) or pipe it on stdin.\n' +
      'The profile then holds a session of yours, acting on one of your projects (--project, else your only one),\n' +
      'as the dashboard does; strix logout ends it on the server. SQL needs an agent key.\n' +
      'Profiles live in $XDG_CONFIG_HOME/strix/profiles.json (or ~/.config/strix/), readable by you only (0600).\n' +
      'The first profile saved becomes the default; switch with strix profiles use NAME.',
    options: {
      url: { type: 'string', valueName: 'URL', description: `The server (default: STRIX_URL, the profile's, else ${defaultUrl})` },
      key: { type: 'string', valueName: 'KEY', description: 'The agent key (visible to other users of this machine: prefer stdin)' },
      email: { type: 'string', valueName: 'ADDRESS', description: 'Sign in as yourself by a code mailed to this address, instead of a key' },
      project: { type: 'string', valueName: 'ID', description: "With --email: the project to act on (default: the profile's, else your only one)" },
    },
    remote: true,
    examples: [
      'strix login --url https://strix.example.com < agent-key.txt',
      'strix login --email me@example.com --url https://strix.example.com',
      'strix login --email me@example.com --profile work --project PROJECT_ID',
    ],
    async run(ctx) {
      const name = await ctx.profiles.chosenName(text(ctx.options, 'profile'));
      const existing = (await ctx.profiles.read()).profiles[name];
      const url = text(ctx.options, 'url') ?? ctx.io.env.STRIX_URL ?? existing?.url ?? defaultUrl;
      if (!/^https?:\/\/[^\s/]/.test(url)) throw new UsageError(`--url ${JSON.stringify(url)}: must be an http:// or https:// URL`, 'login');
      const email = text(ctx.options, 'email');
      if (email === undefined) await loginWithKey(ctx, name, url);
      else await loginWithEmail(ctx, name, url, email.trim(), existing);
    },
  },
  {
    path: ['logout'],
    summary: 'Forget a saved profile: its key, or its session (ended on the server too)',
    args: [{ name: 'profile', description: 'The profile (default: the default profile)' }],
    async run(ctx) {
      const name = typeof ctx.args.profile === 'string' ? checkProfileName(ctx.args.profile) : await ctx.profiles.chosenName(undefined);
      const profile = (await ctx.profiles.read()).profiles[name];
      if (!profile || !isSessionProfile(profile)) {
        await ctx.profiles.remove(name);
        ctx.io.stdout.write(`Removed profile ${name} from ${ctx.profiles.path}\n`);
        return;
      }
      // Ended on the server first; the profile is forgotten whatever the server said.
      const signOut = await endSession(profile.url, credentialOf(profile));
      await ctx.profiles.remove(name);
      const removed = `removed profile ${name} from ${ctx.profiles.path}`;
      switch (signOut.outcome) {
        case 'ended':
          ctx.io.stdout.write(`Signed out of ${profile.url} (the session is ended on the server); ${removed}\n`);
          break;
        case 'already-ended':
          ctx.io.stdout.write(`The session had ended on ${profile.url} already; ${removed}\n`);
          break;
        case 'failed':
          ctx.io.stderr.write(
            `strix: could not end the session on the server: ${signOut.reason}\n` +
              `It stays valid until ${profile.expires_at} or later, unless you sign it out from the dashboard or another session.\n`,
          );
          ctx.io.stdout.write(`Removed profile ${name} from ${ctx.profiles.path}; the server still holds its session\n`);
          break;
        default: {
          const unreachable: never = signOut;
          throw new Error(`unknown sign-out ${JSON.stringify(unreachable)}`);
        }
      }
    },
  },
  {
    path: ['profiles'],
    summary: 'List saved profiles: keys by their prefix, sessions by their address (never a secret)',
    output: true,
    async run(ctx) {
      const file = await ctx.profiles.read();
      const rows = Object.entries(file.profiles).map(([name, p]) => {
        const session = isSessionProfile(p);
        return {
          name,
          default: name === file.default,
          type: session ? 'session' : 'key',
          url: p.url,
          project_id: p.project_id ?? null,
          key_prefix: session ? null : (p.key_prefix ?? null),
          email: session ? p.email : null,
          expires_at: session ? p.expires_at : null,
          saved_at: p.saved_at ?? null,
        };
      });
      ctx.print({
        rows,
        columns: [
          { key: 'default', value: (r) => (r.default ? '*' : '') },
          { key: 'name' },
          { key: 'type' },
          { key: 'url' },
          { key: 'project_id' },
          { key: 'signed_in_as', value: (r) => r.email ?? (typeof r.key_prefix === 'string' ? `${r.key_prefix}…` : null) },
          { key: 'expires_at' },
        ],
      });
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
