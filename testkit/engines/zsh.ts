/**
 * Debian's zsh, for the suites that run the CLI's zsh completion in the real
 * shell: the package is installed with apt-get when missing.
 */
import { ensureFromDebian, exists } from './engine-cli.ts';

const binaries = ['/usr/bin/zsh', '/bin/zsh'];

async function installed(): Promise<string | undefined> {
  for (const binary of binaries) if (await exists(binary)) return binary;
  return undefined;
}

/** The zsh binary, installing Debian's `zsh` package on first use. `STRIX_ZSH` overrides. */
export function ensureZsh(): Promise<string> {
  return ensureFromDebian('zsh', 'STRIX_ZSH', installed, 'its binary');
}
