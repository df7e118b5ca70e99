import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { ESLint } from 'eslint';
import { workspaceRoot } from '@relforge/local-servers';
import { afterAll, describe, expect, it } from 'vitest';
import { workflowsPath } from '@relforge/worker';

// Fixture source for workflow code, spelled so this test file is not itself mistaken for workflow code.
const workflowSdk = '@temporalio/workflow';

const quiet = { info() {}, warn() {}, error() {}, debug() {}, trace() {}, log() {} };

describe('workflow code stays deterministic', () => {
  const eslint = new ESLint({ cwd: workspaceRoot() });
  const lintAsWorkflow = (code: string) =>
    eslint.lintText(code, { filePath: join(workspaceRoot(), 'packages/smoke/src/workflows.ts') });

  it.each([
    ["import { readFileSync } from 'node:fs';", 'node:fs'],
    ["import { execFile } from 'child_process';", 'child_process'],
    ["import { S3Client } from '@aws-sdk/client-s3';", '@aws-sdk/client-s3'],
    ["import { Octokit } from '@octokit/rest';", '@octokit/rest'],
    ["import { Client } from '@temporalio/client';", '@temporalio/client'],
  ])('lint refuses `%s` in a workflow file', async (line, module) => {
    const [result] = await lintAsWorkflow(`${line}\nexport const used = [${line.match(/\{ (\w+) \}/)?.[1]}];\n`);
    const messages = result?.messages.filter((message) => message.ruleId === 'no-restricted-imports') ?? [];
    expect(messages).toHaveLength(1);
    expect(messages[0]?.message).toContain(module);
    expect(messages[0]?.message).toContain('deterministic');
  });

  it('lint accepts the workflow SDK and type-only imports of activities', async () => {
    const [result] = await lintAsWorkflow(
      `import { proxyActivities } from '${workflowSdk}';\nimport type * as activities from './activities.js';\n` +
        "export const a = proxyActivities<typeof activities>({ startToCloseTimeout: '1 minute' });\n",
    );
    expect(result?.messages.filter((message) => message.ruleId === 'no-restricted-imports')).toEqual([]);
  });

  // Fixtures live inside this package so they resolve @temporalio/workflow exactly as real workflow code does.
  const dir = mkdtempSync(join(import.meta.dirname, '.bundle-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const bundleFixture = async (name: string, code: string) => {
    const path = join(dir, `${name}.js`);
    writeFileSync(path, code);
    const errors: string[] = [];
    const logger = { ...quiet, error: (message: string) => errors.push(message) };
    const outcome = await bundleWorkflowCode({ workflowsPath: path, logger }).then(
      () => 'bundled',
      () => 'refused',
    );
    return { outcome, errors: errors.join('\n') };
  };

  it("Temporal's bundler accepts every workflow the worker serves", async () => {
    const bundle = await bundleWorkflowCode({ workflowsPath, logger: quiet });
    expect(bundle.code).toContain('async function release(');
    // The smoke check is for tests, on its own queue: production workers do not carry it.
    expect(bundle.code).not.toContain('async function smoke(');
  });

  it("Temporal's bundler refuses workflow code that imports a Node builtin", async () => {
    const control = await bundleFixture(
      'pure',
      `import { sleep } from '${workflowSdk}';\nexport async function pure() { await sleep(1); }\n`,
    );
    expect(control.outcome).toBe('bundled');

    const bad = await bundleFixture(
      'impure',
      `import { sleep } from '${workflowSdk}';\nimport { readFileSync } from 'node:fs';\n` +
        "export async function impure() { await sleep(1); return readFileSync('/etc/hostname', 'utf8'); }\n",
    );
    expect(bad.outcome).toBe('refused');
    expect(bad.errors).toContain('node:fs');
  });
});
