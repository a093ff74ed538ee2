import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';

/** One file of the built dashboard, ready to serve. */
export interface Asset {
  readonly body: Buffer;
  readonly gzip: Buffer;
  readonly type: string;
}

export interface BuiltDashboard {
  /** The page every dashboard path answers with (it names the hashed assets). */
  readonly html: Buffer;
  /** Hashed file name → asset: its name changes with its content, so it may be cached for ever. */
  readonly assets: ReadonlyMap<string, Asset>;
  /** Bytes of the script and the styles, gzipped: what a first visit downloads. */
  readonly gzippedBytes: number;
}

const appDir = join(import.meta.dirname, 'app');
const types: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };

const asset = (body: Buffer, type: string): Asset => ({ body, gzip: gzipSync(body, { level: 9 }), type });

/**
 * Builds the dashboard (app/, TypeScript and Preact) in memory with esbuild:
 * one minified script and one stylesheet, named by content hash. Runs at every
 * start (a fraction of a second), so `npm start` never serves a stale build and
 * no build step or output folder exists.
 */
export async function buildDashboard(): Promise<BuiltDashboard> {
  try {
    const result = await esbuild.build({
      entryPoints: [join(appDir, 'main.tsx')],
      bundle: true,
      minify: true,
      format: 'esm',
      target: ['es2022', 'chrome120', 'firefox120', 'safari16'],
      jsx: 'automatic',
      jsxImportSource: 'preact',
      write: false,
      outdir: '/assets',
      entryNames: '[name]-[hash]',
      legalComments: 'none',
      logLevel: 'silent',
    });
    const assets = new Map<string, Asset>();
    for (const file of result.outputFiles) {
      const name = file.path.slice(file.path.lastIndexOf('/') + 1);
      const type = types[name.slice(name.lastIndexOf('.'))];
      if (type) assets.set(name, asset(Buffer.from(file.contents), type));
    }
    const script = [...assets.keys()].find((n) => n.endsWith('.js'));
    const style = [...assets.keys()].find((n) => n.endsWith('.css'));
    if (!script) throw new Error('the dashboard build made no script');
    const html = Buffer.from(page(script, style));
    const gzippedBytes = [...assets.values()].reduce((sum, a) => sum + a.gzip.length, 0);
    return { html, assets, gzippedBytes };
  } finally {
    // The build runs in a child process of esbuild's; nothing else builds, so it goes.
    await esbuild.stop();
  }
}

function page(script: string, style: string | undefined): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Strix</title>
${style ? `<link rel="stylesheet" href="/assets/${style}">` : ''}
<script type="module" src="/assets/${script}"></script>
</head>
<body>
<div id="app"></div>
<noscript>Strix's dashboard needs JavaScript.</noscript>
</body>
</html>
`;
}

/** A strong ETag for the page: the same build answers 304 to a browser that has it. */
export const etagOf = (body: Buffer): string => `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
