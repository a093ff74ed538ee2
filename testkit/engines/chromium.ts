/**
 * Debian's Chromium driven by playwright-core, for the dashboard's browser
 * suites: the package is installed with apt-get when missing, and nothing
 * downloads a browser build. Each launch gets a fresh profile.
 */
import { chromium, type Browser } from 'playwright-core';
import { ensureFromDebian, exists } from './engine-cli.ts';

const binary = '/usr/bin/chromium';

/** The Chromium binary, installing Debian's `chromium` package on first use. `STRIX_CHROMIUM` overrides. */
export function ensureChromium(): Promise<string> {
  return ensureFromDebian('chromium', 'STRIX_CHROMIUM', async () => ((await exists(binary)) ? binary : undefined), 'its binary');
}

/**
 * A headless Chromium. Without the background-networking switches it keeps
 * trying Google's hosts, which this machine's closed network refuses; as root
 * it needs --no-sandbox.
 */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: await ensureChromium(),
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
