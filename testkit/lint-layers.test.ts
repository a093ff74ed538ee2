// The layer rule in eslint.config.mjs, run through ESLint's own API on snippets placed inside each package:
// an upward import is refused with a message naming the rule, a downward one passes. It lives in testkit
// because the rule governs every workspace (source and tests alike) and no single package owns it; here it
// runs with the fast unit suites.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';

const root = fileURLToPath(new URL('..', import.meta.url));
// The snippets are not on disk, so the type-aware rules (which need a program) are switched off; the layer
// rule reads specifiers only.
const eslint = new ESLint({
  cwd: root,
  overrideConfig: [tseslint.configs.disableTypeChecked],
  ruleFilter: ({ ruleId }) => ruleId === 'no-restricted-imports',
});

async function layerMessages(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  assert.ok(result, `ESLint returned no result for ${filePath}`);
  return result.messages.map((message) => message.message);
}

const upward: Array<[file: string, specifier: string, rule: RegExp]> = [
  ['warehouse/x.ts', '@strix/api', /warehouse\/ may import only contracts; api\/ is not below it/],
  ['processors/x.ts', '../edge/edge.ts', /processors\/ may import only contracts, warehouse, grouping; edge\//],
  ['processors/steps/x.ts', '../../edge/edge.ts', /processors\/ may import only/],
  ['api/routes/x.ts', '@strix/warehouse', /api\/ may import only .*; warehouse\/ is not below it/],
  ['api/routes/x.ts', '@strix/warehouse/chdb', /api\/ may import only/],
  ['api/routes/x.test.ts', '@strix/warehouse/chdb', /api\/ may import only/],
  ['contracts/x.ts', '@strix/warehouse', /contracts\/ may import only nothing/],
  ['grouping/x.ts', '@strix/processors', /grouping\/ may import only contracts/],
  ['issues/notify.test.ts', '../workflows/smtp-mailer.ts', /issues\/ may import only/],
  ['issues/x.ts', '@strix/analytics', /issues\/ may import only/],
  ['http/x.ts', '@strix/warehouse', /http\/ may import only contracts/],
  ['edge/routes/x.ts', '@strix/api', /edge\/ may import only/],
  ['sql-gateway/x.ts', '@strix/issues', /sql-gateway\/ may import only/],
  ['server/roles/x.ts', '@strix/testkit/apps', /only tests and fixtures import @strix\/testkit/],
  ['warehouse/x.ts', '@strix/testkit/rows', /only tests and fixtures import @strix\/testkit/],
];

const downward: Array<[file: string, specifier: string]> = [
  ['api/routes/x.ts', '@strix/issues'],
  ['api/routes/x.ts', '@strix/http'],
  ['api/x.ts', './routes/events.ts'],
  ['api/routes/x.ts', '../index.ts'],
  ['processors/steps/x.ts', '@strix/grouping'],
  ['processors/steps/x.ts', '../log/frame.ts'],
  ['warehouse/x.ts', '@strix/contracts'],
  ['workflows/activities.ts', '@strix/issues'],
  ['edge/routes/x.ts', '@strix/warehouse'],
  ['server/roles/x.ts', '@strix/api'],
  ['server/roles/x.ts', '@strix/workflows/temporal'],
  // Tests follow their package's row and may also use the kit.
  ['warehouse/x.test.ts', '@strix/testkit/rows'],
  ['sql-gateway/security-fixture.ts', '@strix/testkit/rows'],
  ['processors/log/crash-writer.fixture.ts', '@strix/testkit/temp-dir'],
  ['warehouse/warehouse-contract.ts', '@strix/testkit/rows'],
  // The kit, the suites and the benches sit above everything.
  ['testkit/x.ts', '@strix/server'],
  ['test/fuzz/x.ts', '@strix/api'],
  ['bench/x.ts', '@strix/warehouse'],
  ['bench/x.ts', '@strix/testkit/kafka'],
];

describe('layer rule (eslint.config.mjs)', () => {
  for (const [file, specifier, rule] of upward) {
    it(`refuses ${file} importing ${specifier}`, async () => {
      for (const code of [`import { x } from '${specifier}';\n`, `import type { X } from '${specifier}';\n`, `export * from '${specifier}';\n`]) {
        const messages = await layerMessages(file, code);
        assert.equal(messages.length, 1, `${code} in ${file}: ${JSON.stringify(messages)}`);
        assert.match(messages[0] ?? '', /Layer rule: /);
        assert.match(messages[0] ?? '', rule);
      }
    });
  }

  for (const [file, specifier] of downward) {
    it(`lets ${file} import ${specifier}`, async () => {
      assert.deepEqual(await layerMessages(file, `import { x } from '${specifier}';\n`), []);
    });
  }

  it('sends a relative path into another workspace through its package name, even where the layer allows it', async () => {
    const [message] = await layerMessages('bench/x.ts', "import { x } from '../warehouse/row-binary.ts';\n");
    assert.match(message ?? '', /through its package name @strix\/warehouse/);
    const [fromTest] = await layerMessages('api/routes/x.test.ts', "import { x } from '../../issues/index.ts';\n");
    assert.match(fromTest ?? '', /through its package name @strix\/issues/);
  });

  it('keeps Node built-ins out of workflow code, and only there', async () => {
    for (const specifier of ['node:fs', 'fs/promises', 'crypto']) {
      const [message] = await layerMessages('workflows/workflows.ts', `import { x } from '${specifier}';\n`);
      assert.match(message ?? '', /Workflow code may not import Node built-ins/);
    }
    assert.deepEqual(await layerMessages('workflows/workflows.ts', "import { x } from '@temporalio/workflow';\n"), []);
    assert.deepEqual(await layerMessages('workflows/activities.ts', "import { x } from 'node:fs';\n"), []);
  });
});
