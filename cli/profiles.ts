/**
 * Named sign-ins: a server URL with an agent key, or with a person's session
 * (`strix login --email`), in one JSON file under `$XDG_CONFIG_HOME/strix/`
 * (or `~/.config/strix/`), readable by its owner only (0600, in a 0700
 * folder). `STRIX_URL` and `STRIX_KEY` override the chosen profile, so CI
 * needs no file at all.
 */
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import type { Credential, Session } from './client.ts';
import { UsageError } from './failures.ts';

export const KeyProfile = z.object({
  url: z.string(),
  key: z.string(),
  project_id: z.string().optional(),
  key_prefix: z.string().optional(),
  saved_at: z.string().optional(),
});
export type KeyProfile = z.infer<typeof KeyProfile>;

/** A person signed in by the emailed code, acting on one of their projects. */
export const SessionProfile = z.object({
  url: z.string(),
  email: z.string(),
  session_token: z.string(),
  csrf_token: z.string(),
  /** As of sign-in; the server extends it as the session is used. */
  expires_at: z.string(),
  project_id: z.string(),
  saved_at: z.string().optional(),
});
export type SessionProfile = z.infer<typeof SessionProfile>;

export const Profile = z.union([KeyProfile, SessionProfile]);
export type Profile = z.infer<typeof Profile>;

export const isSessionProfile = (profile: Profile): profile is SessionProfile => 'session_token' in profile;

/** What a client sends for a profile: its key, or its session (named after the profile, for messages). */
export function credentialOf(profile: Profile, name?: string): Credential {
  if (!isSessionProfile(profile)) return profile.key;
  const session: Session = { token: profile.session_token, csrf: profile.csrf_token, expiresAt: profile.expires_at, email: profile.email, projectId: profile.project_id };
  return name === undefined ? session : { ...session, profile: name };
}

const ProfilesFile = z.object({
  default: z.string().optional(),
  profiles: z.record(z.string(), Profile).default({}),
});
type ProfilesFile = z.infer<typeof ProfilesFile>;

export const defaultUrl = 'http://localhost:8080';
const defaultName = 'default';
/** Profile names become file content and shell words: keep them plain. */
const namePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export type Env = Readonly<Record<string, string | undefined>>;

export function configDir(env: Env): string {
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(base, 'strix');
}

export function checkProfileName(name: string): string {
  if (!namePattern.test(name)) throw new UsageError(`--profile ${JSON.stringify(name)}: use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit`);
  return name;
}

/** Where a command's server and key (or session) come from, for messages. */
export interface Resolved {
  url: string;
  /** The agent key, or the session of a profile signed in by email. */
  key: Credential;
  /** The profile used, if any (env alone needs none). */
  profile?: string;
}

export class ProfileStore {
  readonly path: string;

  constructor(private readonly env: Env) {
    this.path = join(configDir(env), 'profiles.json');
  }

  async read(): Promise<ProfilesFile> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { profiles: {} };
      throw error;
    }
    const parsed = ProfilesFile.safeParse(safeJson(text));
    if (!parsed.success) throw new UsageError(`${this.path} is not a Strix profiles file (${parsed.error.issues[0]?.message ?? 'unreadable'}); fix or delete it, then run strix login`);
    return parsed.data;
  }

  /** Saves `profile` under `name`; it becomes the default when there is none yet. */
  async save(name: string, profile: Profile): Promise<{ isDefault: boolean }> {
    const file = await this.read();
    file.profiles[checkProfileName(name)] = profile;
    if (!file.default || !file.profiles[file.default]) file.default = name;
    await this.write(file);
    return { isDefault: file.default === name };
  }

  async use(name: string): Promise<void> {
    const file = await this.read();
    if (!file.profiles[name]) throw new UsageError(`no profile ${JSON.stringify(name)}; profiles: ${Object.keys(file.profiles).join(', ') || 'none (run strix login)'}`);
    file.default = name;
    await this.write(file);
  }

  async remove(name: string): Promise<void> {
    const file = await this.read();
    if (!file.profiles[name]) throw new UsageError(`no profile ${JSON.stringify(name)}`);
    delete file.profiles[name];
    if (file.default === name) file.default = Object.keys(file.profiles)[0];
    await this.write(file);
  }

  /** The name a command uses: `--profile`, else `STRIX_PROFILE`, else the file's default. */
  async chosenName(flag: string | undefined): Promise<string> {
    const named = flag ?? this.env.STRIX_PROFILE;
    if (named !== undefined) return checkProfileName(named);
    return (await this.read()).default ?? defaultName;
  }

  /** The server and key (or session) of a command: the profile's, each overridden by `STRIX_URL` / `STRIX_KEY`. */
  async resolve(flag: string | undefined): Promise<Resolved> {
    const envUrl = this.env.STRIX_URL || undefined;
    const envKey = this.env.STRIX_KEY || undefined;
    const file = await this.read();
    const named = flag ?? this.env.STRIX_PROFILE;
    const name = named === undefined ? file.default : checkProfileName(named);
    const profile = name === undefined ? undefined : file.profiles[name];
    if (name !== undefined && !profile && (flag !== undefined || !envKey)) {
      throw new UsageError(`no profile ${JSON.stringify(name)} in ${this.path}; run strix login --profile ${name} (or with --email), or set STRIX_URL and STRIX_KEY`);
    }
    const key = envKey ?? (profile && credentialOf(profile, name));
    if (!key) throw new UsageError('not signed in: run strix login (an agent key) or strix login --email ADDRESS, or set STRIX_KEY (and STRIX_URL)');
    return { url: envUrl ?? profile?.url ?? defaultUrl, key, ...(profile && name !== undefined && { profile: name }) };
  }

  private async write(file: ProfilesFile): Promise<void> {
    const dir = configDir(this.env);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    // Written whole to a private temporary file, then renamed: a crash never leaves half a file, and the key is never world-readable.
    const temporary = `${this.path}.${process.pid}.tmp`;
    await writeFile(temporary, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
    await chmod(temporary, 0o600);
    await rename(temporary, this.path);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
