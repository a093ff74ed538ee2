/**
 * Debian's zsh, for the suites that run the CLI's zsh completion in the real
 * shell: the package is installed with apt-get when missing.
 */
import { aptInstall, exists, failure, lastLines } from './engine-cli.ts';

const binaries = ['/usr/bin/zsh', '/bin/zsh'];

async function installed(): Promise<string | undefined> {
  for (const binary of binaries) if (await exists(binary)) return binary;
  return undefined;
}

/** The zsh binary, installing Debian's `zsh` package on first use. `STRIX_ZSH` overrides. */
export async function ensureZsh(): Promise<string> {
  const override = process.env.STRIX_ZSH;
  if (override) return override;
  const present = await installed();
  if (present) return present;
  const install = await aptInstall('zsh');
  const after = await installed();
  if (after) return after;
  throw new Error(`zsh is not installed and \`apt-get install -y zsh\` did not install it (${failure(install)}); install it or set STRIX_ZSH.\n${lastLines(install.output)}`);
}
