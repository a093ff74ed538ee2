import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';

// The layers: each workspace may import only the workspaces listed here (its own layer or below).
// A workspace missing from a list sits above it, or beside it, and may not be imported. The server
// assembles every package; `'*'` means anything: the test kit, the suites and the benches sit above
// everything. Test files (and fixtures) follow their package's row and may also import @strix/testkit/*.
export const layers = {
  contracts: [],
  warehouse: ['contracts'],
  // Attachment files (the BlobStore port's adapters) and their signed download tokens.
  blobs: ['contracts'],
  grouping: ['contracts'],
  processors: ['contracts', 'warehouse', 'grouping'],
  issues: ['contracts', 'warehouse', 'grouping'],
  analytics: ['contracts', 'warehouse', 'grouping'],
  // The control plane (PostgreSQL): teams, projects, apps, keys, people; it sees no event.
  control: ['contracts'],
  workflows: ['contracts', 'warehouse', 'grouping', 'issues', 'analytics', 'processors', 'control'],
  http: ['contracts'],
  edge: ['contracts', 'http', 'warehouse'],
  // The read API calls domain services, never the warehouse itself.
  api: ['contracts', 'http', 'issues', 'analytics', 'processors', 'grouping', 'control', 'blobs'],
  'sql-gateway': ['contracts', 'http', 'warehouse'],
  // The web app (app/ runs in browsers) and what builds and serves it; it reaches Strix through the API only.
  dashboards: ['contracts', 'http'],
  // The client SDK runs in browsers and apps: it stands alone (its tests start a Strix through the test kit).
  sdk: [],
  // The command line and MCP server reach Strix through its HTTP API only.
  cli: ['contracts'],
  server: ['contracts', 'warehouse', 'grouping', 'processors', 'issues', 'analytics', 'control', 'workflows', 'http', 'edge', 'api', 'sql-gateway', 'dashboards', 'blobs'],
  testkit: '*',
  test: '*',
  bench: '*',
};
const workspaces = Object.keys(layers);
// Tests, their fixtures and the contract suites that several adapters' tests run (warehouse-contract.ts).
const testFiles = ['*.test.ts', '*.fixture.ts', '*-fixture.ts', '*-contract.ts'];
// no-restricted-imports sees the specifier, not the resolved path, so a relative import is judged by how far
// it climbs: from a file `depth` folders below its workspace, `depth + 1` times `../` leaves the workspace.
// One config block per depth up to this one; deeper files are still checked on their @strix/ specifiers.
const deepest = 4;

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const allowed = (workspace, target, forTests) =>
  layers[workspace] === '*' || layers[workspace].includes(target) || (forTests && target === 'testkit');

function layerPatterns(workspace, depth, forTests) {
  // `depth === undefined`: a file deeper than the per-depth blocks; only package specifiers are judged.
  const climb = depth === undefined ? undefined : `(?:\\.\\./){${depth + 1}}`;
  const below = layers[workspace] === '*' ? 'anything' : layers[workspace].join(', ') || 'nothing';
  const patterns = [];
  for (const target of workspaces) {
    if (target === workspace) continue;
    const name = escape(target);
    if (!allowed(workspace, target, forTests)) {
      const from = climb === undefined ? '@strix/' : `@strix/|${climb}`;
      patterns.push({
        regex: `^(?:${from})${name}(?:/|$)`,
        message:
          target === 'testkit'
            ? `Layer rule: only tests and fixtures import @strix/testkit; ${workspace}/ source may import ${below}.`
            : `Layer rule: ${workspace}/ may import only ${below}; ${target}/ is not below it.`,
      });
    } else if (climb !== undefined) {
      patterns.push({
        regex: `^${climb}${name}(?:/|$)`,
        message: `Import ${target}/ through its package name @strix/${target} (add a subpath to its package.json exports if needed), not a relative path into the folder: the layer rule and the package's declared dependencies only see package names.`,
      });
    }
  }
  return patterns;
}

// STYLE.md habit 4: workflow code runs in Temporal's deterministic sandbox; Node I/O belongs in activities.
const workflowFiles = ['workflows/workflows.ts', 'workflows/jobs.ts'];
const nodeBuiltins = {
  regex: `^(?:node:.*|(?:${builtinModules.map(escape).join('|')})(?:/.*)?)$`,
  message: 'Workflow code may not import Node built-ins (it runs in the deterministic workflow sandbox); do the I/O in an activity.',
};

function layerBlocks() {
  const blocks = [];
  const rule = (patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });
  for (const workspace of workspaces) {
    for (const forTests of [false, true]) {
      const names = forTests ? testFiles : ['*.ts'];
      blocks.push({
        name: `strix/layers/${workspace}/deep${forTests ? '/tests' : ''}`,
        files: names.map((name) => `${workspace}/**/${name}`),
        rules: rule(layerPatterns(workspace, undefined, forTests)),
      });
      for (let depth = 0; depth <= deepest; depth++) {
        const dir = `${workspace}/${'*/'.repeat(depth)}`;
        const patterns = layerPatterns(workspace, depth, forTests);
        blocks.push({
          name: `strix/layers/${workspace}/depth-${depth}${forTests ? '/tests' : ''}`,
          files: names.map((name) => dir + name),
          rules: rule(patterns),
        });
        if (!forTests && depth === 0) {
          const files = workflowFiles.filter((file) => file.startsWith(`${workspace}/`));
          if (files.length > 0) blocks.push({ name: 'strix/workflow-sandbox', files, rules: rule([...patterns, nodeBuiltins]) });
        }
      }
    }
  }
  return blocks;
}

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/.strix/**', '**/*.mjs'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          // node:test's describe/it return promises the runner itself awaits.
          allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] }],
        },
      ],
      // Fastify plugins and hooks are async by contract, with or without an await inside.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  ...layerBlocks(),
);
